-- explore__pivot
-- One row per pivot cell: a (dim1, dim2) group with every pivot measure; `none` for a dimension
-- gives one group. Each measure counts its own event in the window: funnel counts the leads of the
-- cohort (created in the window) that reached each stage by now, or in period mode the stage
-- entries that fell in the window (a skipped stage is entered with the first later one); speed to
-- lead the leads that became MQL in the window (window_mql_count); pipeline the deals created in
-- the window; bookings and win rate the deals closed in it. Time dimensions take that event's month
-- or quarter; every other dimension is an attribute of the lead. Follow-up SLA compliance per cell
-- is explore__pivot_sla, which evaluates the SLA policy file on those same MQLs.
-- $start      date = null     window start, inclusive; NULL = no lower bound
-- $end        date = null     window end, exclusive; NULL = no upper bound
-- $segments   text[] = null   lead segments to keep; NULL = all
-- $regions    text[] = null   lead regions to keep; NULL = all
-- $channels   text[] = null   original source channels to keep; NULL = all
-- $teams      text[] = null   who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null   lead owner person_ids; NULL = all
-- $campaigns  text[] = null   source campaign_ids; NULL = all
-- $mode       text in (cohort, period) = cohort   funnel counts: cohort of leads created in the window, or entries in it
-- $dim1       text in (none, channel, campaign, segment, region, industry, company_size, owner, team, created_month, created_quarter, score_band, response_time_band) = channel   first dimension
-- $dim2       text in (none, channel, campaign, segment, region, industry, company_size, owner, team, created_month, created_quarter, score_band, response_time_band) = none   second dimension
with
-- [shared with explore__cell_members: scope, events, dimensions]
leads as (
    select * from leads
),

milestones as (
    select * from lead_milestones
),

deals as (
    select * from deals
),

people as (
    select * from people
),

campaigns as (
    select * from campaigns
),

scoped_leads as (
    select
        l.lead_id,
        l.created_at,
        l.channel,
        l.source_campaign_id,
        c.name as campaign_name,
        l.segment,
        l.region,
        l.industry,
        l.company_size,
        l.owner_id,
        p.name as owner_name,
        l.sourced_by,
        l.score,
        m.mql_at,
        m.speed_to_lead_hours,
        -- When the lead entered each stage: its own timestamp, else the first later one.
        [
            l.created_at,
            coalesce(m.mql_at, m.sal_at, m.sql_at, m.opportunity_at, m.won_at),
            coalesce(m.sal_at, m.sql_at, m.opportunity_at, m.won_at),
            coalesce(m.sql_at, m.opportunity_at, m.won_at),
            m.opportunity_at,
            m.won_at
        ] as entered_at
    from leads as l
    join milestones as m using (lead_id)
    left join people as p on p.person_id = l.owner_id
    left join campaigns as c on c.campaign_id = l.source_campaign_id
    where ($segments is null or list_contains($segments, l.segment))
      and ($regions is null or list_contains($regions, l.region))
      and ($channels is null or list_contains($channels, l.channel))
      and ($teams is null or list_contains($teams, l.sourced_by))
      and ($owners is null or list_contains($owners, l.owner_id))
      and ($campaigns is null or list_contains($campaigns, l.source_campaign_id))
),

stage_entries as (
    select
        lead_id,
        created_at,
        unnest([1, 2, 3, 4, 5, 6]) as stage_order,
        unnest(entered_at) as entered_at
    from scoped_leads
),

-- One row per thing a measure counts, stamped with the moment that puts it in the window.
events as (
    select
        'stage' as event, lead_id, null as deal_id, stage_order,
        case $mode when 'period' then entered_at else created_at end as event_at,
        null::decimal(18, 2) as amount, null as deal_stage
    from stage_entries
    where entered_at is not null
      and case $mode
          when 'period' then ($start is null or entered_at >= $start) and ($end is null or entered_at < $end)
          else ($start is null or created_at >= $start) and ($end is null or created_at < $end)
      end

    union all

    select 'mql', lead_id, null, null, mql_at, null, null
    from scoped_leads
    where mql_at is not null
      and ($start is null or mql_at >= $start) and ($end is null or mql_at < $end)

    union all

    select 'deal_created', d.lead_id, d.deal_id, null, d.created_at, d.amount, d.stage
    from deals as d
    semi join scoped_leads as l using (lead_id)
    where ($start is null or d.created_at >= $start) and ($end is null or d.created_at < $end)

    union all

    select 'deal_closed', d.lead_id, d.deal_id, null, d.closed_at, d.amount, d.stage
    from deals as d
    semi join scoped_leads as l using (lead_id)
    where d.stage in ('won', 'lost')
      and ($start is null or d.closed_at >= $start) and ($end is null or d.closed_at < $end)
),

facts as (
    select
        e.*,
        l.* exclude (lead_id),
        -- Each dimension's value, label and sort key, picked below by the bound $dim1 / $dim2.
        strftime(e.event_at, '%Y-%m') as month_value,
        year(e.event_at) || '-Q' || quarter(e.event_at) as quarter_value,
        case
            when l.score is null then '(no score)'
            when l.score >= 80 then '80–100'
            when l.score >= 60 then '60–79'
            when l.score >= 40 then '40–59'
            else '0–39'
        end as score_band,
        case when l.score is null then 5 when l.score >= 80 then 4 when l.score >= 60 then 3 when l.score >= 40 then 2 else 1 end
            as score_band_order,
        case
            when l.mql_at is null then '(not an MQL)'
            when l.speed_to_lead_hours is null then 'no response yet'
            when l.speed_to_lead_hours < 1 then '< 1 h'
            when l.speed_to_lead_hours < 4 then '1–4 h'
            when l.speed_to_lead_hours < 24 then '4–24 h'
            when l.speed_to_lead_hours < 72 then '1–3 d'
            else '3 d or more'
        end as response_time_band,
        case
            when l.mql_at is null then 7
            when l.speed_to_lead_hours is null then 6
            when l.speed_to_lead_hours < 1 then 1
            when l.speed_to_lead_hours < 4 then 2
            when l.speed_to_lead_hours < 24 then 3
            when l.speed_to_lead_hours < 72 then 4
            else 5
        end as response_time_band_order
    from events as e
    join scoped_leads as l using (lead_id)
),

dimensioned as (
    select
        case $dim1
            when 'channel' then channel
            when 'campaign' then coalesce(source_campaign_id, '')
            when 'segment' then segment
            when 'region' then region
            when 'industry' then coalesce(industry, '')
            when 'company_size' then coalesce(company_size, '')
            when 'owner' then coalesce(owner_id, '')
            when 'team' then sourced_by
            when 'created_month' then month_value
            when 'created_quarter' then quarter_value
            when 'score_band' then score_band
            when 'response_time_band' then response_time_band
            else ''
        end as dim1_value,
        case $dim1
            when 'campaign' then coalesce(campaign_name, '(no campaign)')
            when 'industry' then coalesce(industry, '(none)')
            when 'company_size' then coalesce(company_size, '(none)')
            when 'owner' then coalesce(owner_name, '(unassigned)')
            when 'none' then 'All'
        end as dim1_label,
        case $dim1
            when 'company_size' then coalesce(try_cast(regexp_extract(company_size, '^\d+') as integer), 1e9)
            when 'created_month' then epoch(date_trunc('month', event_at))
            when 'created_quarter' then epoch(date_trunc('quarter', event_at))
            when 'score_band' then score_band_order
            when 'response_time_band' then response_time_band_order
        end as dim1_sort,
        case $dim2
            when 'channel' then channel
            when 'campaign' then coalesce(source_campaign_id, '')
            when 'segment' then segment
            when 'region' then region
            when 'industry' then coalesce(industry, '')
            when 'company_size' then coalesce(company_size, '')
            when 'owner' then coalesce(owner_id, '')
            when 'team' then sourced_by
            when 'created_month' then month_value
            when 'created_quarter' then quarter_value
            when 'score_band' then score_band
            when 'response_time_band' then response_time_band
            else ''
        end as dim2_value,
        case $dim2
            when 'campaign' then coalesce(campaign_name, '(no campaign)')
            when 'industry' then coalesce(industry, '(none)')
            when 'company_size' then coalesce(company_size, '(none)')
            when 'owner' then coalesce(owner_name, '(unassigned)')
            when 'none' then 'All'
        end as dim2_label,
        case $dim2
            when 'company_size' then coalesce(try_cast(regexp_extract(company_size, '^\d+') as integer), 1e9)
            when 'created_month' then epoch(date_trunc('month', event_at))
            when 'created_quarter' then epoch(date_trunc('quarter', event_at))
            when 'score_band' then score_band_order
            when 'response_time_band' then response_time_band_order
        end as dim2_sort,
        *
    from facts
),
-- [end shared]

cells as (
    select
        dim1_value,
        any_value(coalesce(dim1_label, dim1_value)) as dim1_label,
        min(dim1_sort) as dim1_sort,
        dim2_value,
        any_value(coalesce(dim2_label, dim2_value)) as dim2_label,
        min(dim2_sort) as dim2_sort,
        count(*) filter (where event = 'stage' and stage_order = 1) as lead_count,
        count(*) filter (where event = 'stage' and stage_order = 2) as mql_count,
        count(*) filter (where event = 'stage' and stage_order = 3) as sal_count,
        count(*) filter (where event = 'stage' and stage_order = 4) as sql_count,
        count(*) filter (where event = 'stage' and stage_order = 5) as opportunity_count,
        count(*) filter (where event = 'stage' and stage_order = 6) as won_count,
        coalesce(sum(amount) filter (where event = 'deal_created'), 0)::double as pipeline_usd,
        count(*) filter (where event = 'deal_created') as deals_created_count,
        coalesce(sum(amount) filter (where event = 'deal_closed' and deal_stage = 'won'), 0)::double as bookings_usd,
        count(*) filter (where event = 'deal_closed' and deal_stage = 'won') as deals_won_count,
        count(*) filter (where event = 'deal_closed' and deal_stage = 'lost') as deals_lost_count,
        count(*) filter (where event = 'mql') as window_mql_count,
        median(speed_to_lead_hours) filter (where event = 'mql') as median_speed_to_lead_hours
    from dimensioned
    group by dim1_value, dim2_value
),

final as (
    select
        dim1_value,
        dim1_label,
        dim1_sort,
        dim2_value,
        dim2_label,
        dim2_sort,
        lead_count,
        mql_count,
        sal_count,
        sql_count,
        opportunity_count,
        won_count,
        mql_count / nullif(lead_count, 0) as lead_to_mql_rate,
        sal_count / nullif(mql_count, 0) as mql_to_sal_rate,
        sql_count / nullif(sal_count, 0) as sal_to_sql_rate,
        opportunity_count / nullif(sql_count, 0) as sql_to_opportunity_rate,
        won_count / nullif(opportunity_count, 0) as opportunity_to_won_rate,
        pipeline_usd,
        deals_created_count,
        bookings_usd,
        deals_won_count,
        deals_lost_count,
        deals_won_count / nullif(deals_won_count + deals_lost_count, 0) as win_rate,
        window_mql_count,
        median_speed_to_lead_hours
    from cells
)

select * from final
order by dim1_sort nulls last, dim1_label, dim2_sort nulls last, dim2_label
