-- campaigns__spend_by_month
-- One row per (month, channel): campaign cost spent that month (each campaign's cost spread evenly
-- over its days), leads created that month from the channel's campaigns, and the pipeline created
-- that month from those campaigns' leads. Months of the window only.
-- $start      date   = null   window start, inclusive
-- $end        date   = null   window end, exclusive
-- $segments   text[] = null   lead segments to keep (cost cannot be split by segment)
-- $regions    text[] = null   lead regions to keep (cost cannot be split by region)
-- $channels   text[] = null   channels to keep
-- $teams      text[] = null   who sourced the lead / which team owns the campaign
-- $owners     text[] = null   lead owners to keep
-- $campaigns  text[] = null   campaigns to keep
with
data_end as (
    select max(created_at)::date + 1 as as_of_end from leads
),

campaign_days as (
    select
        c.campaign_id,
        c.channel,
        unnest(generate_series(c.start_date, coalesce(c.end_date, e.as_of_end - 1), interval 1 day))::date as spend_day,
        c.cost / greatest(1, date_diff('day', c.start_date, coalesce(c.end_date, e.as_of_end - 1) + 1)) as cost_per_day
    from campaigns as c
    cross join data_end as e
    where ($channels is null or list_contains($channels, c.channel))
      and ($teams is null or list_contains($teams, c.owner_team))
      and ($campaigns is null or list_contains($campaigns, c.campaign_id))
),

spend as (
    select date_trunc('month', spend_day)::date as month_start, channel, sum(cost_per_day) as cost_usd
    from campaign_days
    where ($start is null or spend_day >= $start) and ($end is null or spend_day < $end)
    group by all
),

-- The window's leads, filtered. lead_milestones carries the lead's filter columns and is stored in
-- created_at order, so the window skips most of it.
window_leads as (
    select created_at, source_campaign_id
    from lead_milestones
    where ($start is null or created_at >= $start) and ($end is null or created_at < $end)
      and
        -- @include lead_filters
),

-- Deals created in the window from the filtered leads: each deal carries its lead's attributes
-- (queries/derived/deal_facts.sql), no join of every lead to the deals.
window_deals as (
    select deal_created_at, amount, source_campaign_id
    from deal_facts
    where ($start is null or deal_created_at >= $start) and ($end is null or deal_created_at < $end)
      and
        -- @include lead_filters
),

-- By the channel of the campaign that sourced the lead (leads without one are not here).
leads_by_month as (
    select date_trunc('month', l.created_at)::date as month_start, c.channel, count(*) as lead_count
    from window_leads as l
    join campaigns as c on c.campaign_id = l.source_campaign_id
    group by all
),

pipeline_by_month as (
    select date_trunc('month', d.deal_created_at)::date as month_start, c.channel, sum(d.amount) as pipeline_usd
    from window_deals as d
    join campaigns as c on c.campaign_id = d.source_campaign_id
    group by all
),

final as (
    select
        month_start,
        channel,
        round(coalesce(s.cost_usd, 0), 2)::double as cost_usd,
        coalesce(l.lead_count, 0) as lead_count,
        coalesce(p.pipeline_usd, 0)::double as pipeline_usd
    from spend as s
    full join leads_by_month as l using (month_start, channel)
    full join pipeline_by_month as p using (month_start, channel)
)

select * from final
order by month_start, channel
