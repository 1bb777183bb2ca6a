-- overview__kpis
-- One row: the leadership KPIs for the window, each as DESIGN.md defines it, all on the activity
-- basis: counts are stage entries in the window (as the period funnel counts them); money is deal
-- amount of deals created (pipeline) or won (bookings) in the window.
-- Lead filters (segment, region, channel, team = who sourced, owner, campaign) apply to leads and
-- their deals; campaign cost can only be filtered by channel, owner team and campaign.
-- $start      date   = null   window start, inclusive (NULL = since the beginning)
-- $end        date   = null   window end, exclusive (NULL = up to now)
-- $segments   text[] = null   lead segments to keep
-- $regions    text[] = null   lead regions to keep
-- $channels   text[] = null   lead source channels (and campaign channels) to keep
-- $teams      text[] = null   who sourced the lead (and which team owns the campaign)
-- $owners     text[] = null   lead owners to keep
-- $campaigns  text[] = null   source campaigns to keep
with
-- lead_milestones carries each lead's stage timestamps, speed to lead and filter columns: no join
-- back to leads.
filtered_leads as (
    select *
    from lead_milestones
    where
        -- @include lead_filters
),

stage_entries as (
    select
        -- Stage entries on the lead's path, as the period funnel counts them (a sales-sourced lead is
        -- never an MQL; a skipped stage is entered with the first later one).
        count(*) filter (where mql_entered_at >= coalesce($start, mql_entered_at)
                           and mql_entered_at < coalesce($end, mql_entered_at + interval 1 day)) as mql_count,
        count(*) filter (where sal_entered_at >= coalesce($start, sal_entered_at)
                           and sal_entered_at < coalesce($end, sal_entered_at + interval 1 day)) as sal_count,
        count(*) filter (where sql_entered_at >= coalesce($start, sql_entered_at)
                           and sql_entered_at < coalesce($end, sql_entered_at + interval 1 day)) as sql_count,
        median(speed_to_lead_hours) filter (
            where mql_at >= coalesce($start, mql_at) and mql_at < coalesce($end, mql_at + interval 1 day)
        ) as median_speed_to_lead_hours,
        count(speed_to_lead_hours) filter (
            where mql_at >= coalesce($start, mql_at) and mql_at < coalesce($end, mql_at + interval 1 day)
        ) as responded_mql_count
    from filtered_leads
),

-- Each deal with its lead's attributes (queries/derived/deal_facts.sql): the filtered
-- leads' deals without joining every lead to them.
deal_facts as (
    select
        amount,
        deal_stage as stage,
        sourced_by = 'marketing' as is_marketing_sourced,
        deal_created_at >= coalesce($start, deal_created_at)
            and deal_created_at < coalesce($end, deal_created_at + interval 1 day) as is_created_in_window,
        deal_closed_at is not null
            and deal_closed_at >= coalesce($start, deal_closed_at)
            and deal_closed_at < coalesce($end, deal_closed_at + interval 1 day) as is_closed_in_window
    from deal_facts
    where
        -- @include lead_filters
      -- Deals neither created nor closed in the window count for nothing below.
      and ((deal_created_at >= coalesce($start, deal_created_at)
            and deal_created_at < coalesce($end, deal_created_at + interval 1 day))
           or (deal_closed_at >= coalesce($start, deal_closed_at)
               and deal_closed_at < coalesce($end, deal_closed_at + interval 1 day)))
),

deal_totals as (
    select
        coalesce(sum(amount) filter (where is_created_in_window), 0) as pipeline_created_usd,
        coalesce(sum(amount) filter (where is_created_in_window and is_marketing_sourced), 0)
            as marketing_sourced_pipeline_usd,
        coalesce(sum(amount) filter (where is_closed_in_window and stage = 'won'), 0) as bookings_usd,
        count(*) filter (where is_closed_in_window and stage = 'won') as won_count,
        count(*) filter (where is_closed_in_window and stage = 'lost') as lost_count
    from deal_facts
),

data_end as (
    select max(created_at)::date + 1 as as_of_end from leads
),

-- Campaign cost is spread evenly over the campaign's days and counted for the days in the window.
campaign_cost as (
    select coalesce(sum(
        c.cost * greatest(0, date_diff('day',
            greatest(c.start_date, coalesce($start, c.start_date)),
            least(coalesce(c.end_date, e.as_of_end - 1) + 1, coalesce($end, coalesce(c.end_date, e.as_of_end - 1) + 1))
        )) / greatest(1, date_diff('day', c.start_date, coalesce(c.end_date, e.as_of_end - 1) + 1))
    ), 0) as campaign_cost_usd
    from campaigns as c
    cross join data_end as e
    where ($channels is null or list_contains($channels, c.channel))
      and ($teams is null or list_contains($teams, c.owner_team))
      and ($campaigns is null or list_contains($campaigns, c.campaign_id))
),

final as (
    select
        s.mql_count,
        s.sal_count,
        s.sql_count,
        d.pipeline_created_usd::double as pipeline_created_usd,
        d.bookings_usd::double as bookings_usd,
        d.won_count,
        d.lost_count,
        d.won_count / nullif(d.won_count + d.lost_count, 0) as win_rate,
        s.median_speed_to_lead_hours,
        s.responded_mql_count,
        d.marketing_sourced_pipeline_usd::double as marketing_sourced_pipeline_usd,
        d.marketing_sourced_pipeline_usd / nullif(d.pipeline_created_usd, 0) as marketing_sourced_share_rate,
        round(c.campaign_cost_usd, 2)::double as campaign_cost_usd,
        c.campaign_cost_usd / nullif(d.won_count, 0) as cac_usd
    from stage_entries as s
    cross join deal_totals as d
    cross join campaign_cost as c
)

select * from final
