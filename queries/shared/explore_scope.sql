-- The scope, events and dimensions explore__pivot, explore__cell_members and explore__mql_cells
-- share (each includes this file with `-- @include explore_scope`): CTEs up to `dimensioned`,
-- one row per event of the window with its dim1_value and dim2_value.
-- [shared with explore__cell_members: scope, events, dimensions]
-- lead_milestones carries the lead attributes: no join back to leads. Not materialized: each use
-- scans it with its own window filter (the table is in created_at order, so most is skipped).
scoped_leads as not materialized (
    select
        lead_id,
        created_at,
        channel,
        source_campaign_id,
        segment,
        region,
        industry,
        company_size,
        owner_id,
        sourced_by,
        score,
        mql_at,
        sal_at,
        sql_at,
        opportunity_at,
        won_at,
        mql_entered_at,
        sal_entered_at,
        sql_entered_at,
        speed_to_lead_hours
    from lead_milestones
    where ($segments is null or list_contains($segments, segment))
      and ($regions is null or list_contains($regions, region))
      and ($channels is null or list_contains($channels, channel))
      and ($teams is null or list_contains($teams, sourced_by))
      and ($owners is null or list_contains($owners, owner_id))
      and ($campaigns is null or list_contains($campaigns, source_campaign_id))
),

-- Each deal with its lead's attributes (handoff/derived/40_explore_deal_facts.sql).
deal_facts as (
    select * from explore_deal_facts
),

people as (
    select * from people
),

campaigns as (
    select * from campaigns
),

-- Each lead once per stage, with when it entered it: its own timestamp, else the first later one.
-- Only leads with an entry that can fall in the window (every entry is one of their timestamps).
stage_entries as (
    select
        * exclude (sal_at, sql_at, opportunity_at, won_at, mql_entered_at, sal_entered_at, sql_entered_at),
        unnest([1, 2, 3, 4, 5, 6]) as stage_order,
        unnest([created_at, mql_entered_at, sal_entered_at, sql_entered_at, opportunity_at, won_at]) as entered_at
    from scoped_leads
    where case $mode
        when 'period' then ($start is null or greatest(created_at, mql_at, sal_at, sql_at, opportunity_at, won_at) >= $start)
            and ($end is null or least(created_at, mql_at, sal_at, sql_at, opportunity_at, won_at) < $end)
        else ($start is null or created_at >= $start) and ($end is null or created_at < $end)
    end
),

-- The deals created or closed in the window whose lead passes the filters.
window_deals as materialized (
    select *
    from deal_facts
    where ($segments is null or list_contains($segments, segment))
      and ($regions is null or list_contains($regions, region))
      and ($channels is null or list_contains($channels, channel))
      and ($teams is null or list_contains($teams, sourced_by))
      and ($owners is null or list_contains($owners, owner_id))
      and ($campaigns is null or list_contains($campaigns, source_campaign_id))
      and ((($start is null or deal_created_at >= $start) and ($end is null or deal_created_at < $end))
           or (deal_stage in ('won', 'lost')
               and ($start is null or deal_closed_at >= $start) and ($end is null or deal_closed_at < $end)))
),

-- One row per thing a measure counts, stamped with the moment that puts it in the window, with the
-- attributes of its lead.
events as (
    select
        'stage' as event,
        case $mode when 'period' then entered_at else created_at end as event_at,
        * exclude (entered_at)
    from stage_entries
    where entered_at is not null
      and case $mode
          when 'period' then ($start is null or entered_at >= $start) and ($end is null or entered_at < $end)
          else ($start is null or created_at >= $start) and ($end is null or created_at < $end)
      end

    union all by name

    select 'mql' as event, mql_at as event_at, * exclude (sal_at, sql_at, opportunity_at, won_at, mql_entered_at, sal_entered_at, sql_entered_at)
    from scoped_leads
    where mql_at is not null
      and ($start is null or mql_at >= $start) and ($end is null or mql_at < $end)

    union all by name

    select 'deal_created' as event, deal_created_at as event_at, * exclude (deal_created_at, deal_closed_at)
    from window_deals
    where ($start is null or deal_created_at >= $start) and ($end is null or deal_created_at < $end)

    union all by name

    select 'deal_closed' as event, deal_closed_at as event_at, * exclude (deal_created_at, deal_closed_at)
    from window_deals
    where deal_stage in ('won', 'lost')
      and ($start is null or deal_closed_at >= $start) and ($end is null or deal_closed_at < $end)
),

facts as (
    select
        e.*,
        c.name as campaign_name,
        p.name as owner_name,
        -- Each dimension's value, label and sort key, picked below by the bound $dim1 / $dim2.
        strftime(e.event_at, '%Y-%m') as month_value,
        year(e.event_at) || '-Q' || quarter(e.event_at) as quarter_value,
        case
            when e.score is null then '(no score)'
            when e.score >= 80 then '80–100'
            when e.score >= 60 then '60–79'
            when e.score >= 40 then '40–59'
            else '0–39'
        end as score_band,
        case when e.score is null then 5 when e.score >= 80 then 4 when e.score >= 60 then 3 when e.score >= 40 then 2 else 1 end
            as score_band_order,
        case
            when e.mql_at is null then '(not an MQL)'
            when e.speed_to_lead_hours is null then 'no response yet'
            when e.speed_to_lead_hours < 1 then '< 1 h'
            when e.speed_to_lead_hours < 4 then '1–4 h'
            when e.speed_to_lead_hours < 24 then '4–24 h'
            when e.speed_to_lead_hours < 72 then '1–3 d'
            else '3 d or more'
        end as response_time_band,
        case
            when e.mql_at is null then 7
            when e.speed_to_lead_hours is null then 6
            when e.speed_to_lead_hours < 1 then 1
            when e.speed_to_lead_hours < 4 then 2
            when e.speed_to_lead_hours < 24 then 3
            when e.speed_to_lead_hours < 72 then 4
            else 5
        end as response_time_band_order
    from events as e
    left join people as p on p.person_id = e.owner_id
    left join campaigns as c on c.campaign_id = e.source_campaign_id
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
