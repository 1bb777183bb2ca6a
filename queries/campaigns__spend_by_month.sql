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

campaign_leads as (
    select l.*, c.channel as campaign_channel
    from leads as l
    join campaigns as c on c.campaign_id = l.source_campaign_id
    where ($segments is null or list_contains($segments, l.segment))
      and ($regions is null or list_contains($regions, l.region))
      and ($channels is null or list_contains($channels, l.channel))
      and ($teams is null or list_contains($teams, l.sourced_by))
      and ($owners is null or list_contains($owners, l.owner_id))
      and ($campaigns is null or list_contains($campaigns, l.source_campaign_id))
),

leads_by_month as (
    select date_trunc('month', created_at)::date as month_start, campaign_channel as channel, count(*) as lead_count
    from campaign_leads
    where ($start is null or created_at >= $start) and ($end is null or created_at < $end)
    group by all
),

pipeline_by_month as (
    select date_trunc('month', d.created_at)::date as month_start, l.campaign_channel as channel,
           sum(d.amount) as pipeline_usd
    from deals as d
    join campaign_leads as l using (lead_id)
    where ($start is null or d.created_at >= $start) and ($end is null or d.created_at < $end)
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
