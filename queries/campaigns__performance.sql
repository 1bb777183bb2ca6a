-- campaigns__performance
-- One row per campaign (plus one for leads without a source campaign): its cost in the window
-- (spread evenly over the campaign's days), the leads it sourced that were created in the window,
-- the MQL and SAL entries of its leads in the window, the pipeline created and the deals won in
-- the window from its leads. Counts add up to the Overview's for the same filters.
-- $start      date   = null   window start, inclusive
-- $end        date   = null   window end, exclusive
-- $segments   text[] = null   lead segments to keep (cost cannot be split by segment)
-- $regions    text[] = null   lead regions to keep (cost cannot be split by region)
-- $channels   text[] = null   channels to keep
-- $teams      text[] = null   who sourced the lead / which team owns the campaign
-- $owners     text[] = null   lead owners to keep
-- $campaigns  text[] = null   campaigns to keep
with
-- lead_milestones carries each lead's stage entries on its path and its filter columns.
filtered_leads as (
    select *
    from lead_milestones
    where
        -- @include lead_filters
),

lead_results as (
    select
        source_campaign_id as campaign_id,
        count(*) filter (where created_at >= coalesce($start, created_at)
                           and created_at < coalesce($end, created_at + interval 1 day)) as lead_count,
        count(*) filter (where mql_entered_at >= coalesce($start, mql_entered_at)
                           and mql_entered_at < coalesce($end, mql_entered_at + interval 1 day)) as mql_count,
        count(*) filter (where sal_entered_at >= coalesce($start, sal_entered_at)
                           and sal_entered_at < coalesce($end, sal_entered_at + interval 1 day)) as sal_count
    from filtered_leads
    group by all
),

-- Each deal with its lead's attributes, built at import (queries/derived/deal_facts.sql):
-- the deals of the filtered leads without joining a million leads to them.
deal_results as (
    select
        source_campaign_id as campaign_id,
        coalesce(sum(amount) filter (where deal_created_at >= coalesce($start, deal_created_at)
                                       and deal_created_at < coalesce($end, deal_created_at + interval 1 day)), 0)
            as pipeline_usd,
        count(*) filter (where deal_stage = 'won' and deal_closed_at >= coalesce($start, deal_closed_at)
                           and deal_closed_at < coalesce($end, deal_closed_at + interval 1 day)) as won_count,
        coalesce(sum(amount) filter (where deal_stage = 'won' and deal_closed_at >= coalesce($start, deal_closed_at)
                                       and deal_closed_at < coalesce($end, deal_closed_at + interval 1 day)), 0)
            as sourced_bookings_usd
    from deal_facts
    where
        -- @include lead_filters
    group by all
),

data_end as (
    select max(created_at)::date + 1 as as_of_end from leads
),

-- Every campaign: its cost counts only when it passes the channel, team and campaign filters (as on the
-- Overview), while the results of the filtered leads it sourced count whatever its own owner or channel,
-- so the totals are the Overview's.
campaign_cost as (
    select
        c.campaign_id,
        c.name as campaign_name,
        c.channel,
        c.owner_team,
        c.start_date,
        c.end_date,
        case when ($channels is null or list_contains($channels, c.channel))
              and ($teams is null or list_contains($teams, c.owner_team))
              and ($campaigns is null or list_contains($campaigns, c.campaign_id))
        then c.cost * greatest(0, date_diff('day',
            greatest(c.start_date, coalesce($start, c.start_date)),
            least(coalesce(c.end_date, e.as_of_end - 1) + 1, coalesce($end, coalesce(c.end_date, e.as_of_end - 1) + 1))
        )) / greatest(1, date_diff('day', c.start_date, coalesce(c.end_date, e.as_of_end - 1) + 1))
        else 0 end as cost_usd
    from campaigns as c
    cross join data_end as e
),

no_campaign as (
    select null::text as campaign_id, '(no source campaign)' as campaign_name, null::text as channel,
           null::text as owner_team, null::date as start_date, null::date as end_date, 0.0 as cost_usd
),

final as (
    select
        c.campaign_id,
        c.campaign_name,
        c.channel,
        c.owner_team,
        c.start_date,
        c.end_date,
        c.cost_usd::double as cost_usd,
        coalesce(l.lead_count, 0) as lead_count,
        coalesce(l.mql_count, 0) as mql_count,
        coalesce(l.sal_count, 0) as sal_count,
        coalesce(d.pipeline_usd, 0)::double as pipeline_usd,
        coalesce(d.won_count, 0) as won_count,
        coalesce(d.sourced_bookings_usd, 0)::double as sourced_bookings_usd
    from (select * from campaign_cost union all select * from no_campaign) as c
    left join lead_results as l on l.campaign_id is not distinct from c.campaign_id
    left join deal_results as d on d.campaign_id is not distinct from c.campaign_id
)

select * from final
where cost_usd > 0 or lead_count > 0 or mql_count > 0 or sal_count > 0 or pipeline_usd > 0 or won_count > 0
order by cost_usd desc, campaign_id
