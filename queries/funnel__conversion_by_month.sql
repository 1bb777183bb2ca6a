-- funnel__conversion_by_month
-- One row per (created month, step between consecutive stages): of the leads created that month
-- that reached the first stage, how many have reached the next one by now (reached = that stage or
-- any later one). A month is too young for a step when its median lead has existed for less time
-- than leads typically take (the median over all filtered leads that got there) to reach the step's
-- second stage: its rate will still rise. Time is counted to the end of the data's as-of day.
-- $start      date = null                   first created day to include; NULL = no lower bound
-- $end        date = null                   created before this day; NULL = no upper bound
-- $segments   text[] = null                 lead segments to keep; NULL = all
-- $regions    text[] = null                 lead regions to keep; NULL = all
-- $channels   text[] = null                 original source channels to keep; NULL = all
-- $teams      text[] = null                 who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null                 lead owner person_ids; NULL = all
-- $campaigns  text[] = null                 source campaign_ids; NULL = all
with
leads as (
    select * from leads
),

milestones as (
    select * from lead_milestones
),

-- The data's as-of day, as data__as_of defines it.
as_of as (
    select coalesce(
        (select try_cast(value as date) from handoff_meta where key = 'as_of'),
        greatest(
            (select max(created_at) from leads),
            (select max(touched_at) from touches),
            (select max(coalesce(closed_at, created_at)) from deals)
        )::date,
        current_date
    ) + interval 1 day as now_at
),

steps as (
    select * from (values
        (1, 'Lead', 'MQL', 'marketing'),
        (2, 'MQL', 'SAL', 'sales'),
        (3, 'SAL', 'SQL', 'sales'),
        (4, 'SQL', 'Opportunity', 'sales'),
        (5, 'Opportunity', 'Won', 'sales')
    ) as s (from_stage_order, from_stage, to_stage, owner_team)
),

filtered_leads as (
    select m.*
    from leads as l
    join milestones as m using (lead_id)
    where ($segments is null or list_contains($segments, l.segment))
      and ($regions is null or list_contains($regions, l.region))
      and ($channels is null or list_contains($channels, l.channel))
      and ($teams is null or list_contains($teams, l.sourced_by))
      and ($owners is null or list_contains($owners, l.owner_id))
      and ($campaigns is null or list_contains($campaigns, l.source_campaign_id))
),

-- Each lead once per step: whether it reached the step's two stages, and when it entered the second.
lead_steps as (
    select
        created_at,
        date_trunc('month', created_at)::date as created_month,
        unnest([1, 2, 3, 4, 5]) as from_stage_order,
        unnest([reached_lead, reached_mql, reached_sal, reached_sql, reached_opportunity]) as reached_from,
        unnest([reached_mql, reached_sal, reached_sql, reached_opportunity, reached_won]) as reached_to,
        unnest([
            coalesce(mql_at, sal_at, sql_at, opportunity_at, won_at),
            coalesce(sal_at, sql_at, opportunity_at, won_at),
            coalesce(sql_at, opportunity_at, won_at),
            opportunity_at,
            won_at
        ]) as to_entered_at
    from filtered_leads
),

typical_days as (
    select from_stage_order, median(date_diff('second', created_at, to_entered_at) / 86400.0) as median_days_to_stage
    from lead_steps
    where to_entered_at is not null
    group by all
),

monthly as (
    select
        created_month,
        from_stage_order,
        count(*) filter (where reached_from) as from_count,
        count(*) filter (where reached_to) as to_count,
        date_diff('second', median(created_at), (select now_at from as_of)) / 86400.0 as month_age_days
    from lead_steps
    where ($start is null or created_at >= $start) and ($end is null or created_at < $end)
    group by all
),

final as (
    select
        m.created_month,
        s.from_stage_order,
        s.from_stage,
        s.to_stage,
        s.owner_team,
        m.from_count,
        m.to_count,
        m.to_count / nullif(m.from_count, 0) as conversion_rate,
        m.month_age_days,
        t.median_days_to_stage,
        coalesce(m.month_age_days < t.median_days_to_stage, false) as is_too_young
    from monthly as m
    join steps as s using (from_stage_order)
    left join typical_days as t using (from_stage_order)
)

select * from final
order by created_month, from_stage_order
