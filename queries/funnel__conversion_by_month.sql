-- funnel__conversion_by_month
-- One row per (created month, step between consecutive stages): of the leads created that month
-- that reached the first stage, how many have gone on to the next one by now (reached = on a path
-- through the stage with it or any later one; a sales-sourced lead joining at the next stage did
-- not come from the first, and Lead → MQL is over marketing-sourced leads, as DESIGN.md says). A month is too young for a step when its median lead has existed for less time
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

-- lead_milestones carries the filter attributes: no join back to leads.
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
    from milestones as m
    where
        -- @include lead_filters
),

-- How long leads typically take from creation to each step's second stage (its own timestamp,
-- else the first later one; lead_milestones holds each lead's days): one pass, five medians.
typical_medians as (
    select
        median(created_to_mql_days) as to_mql_days,
        median(created_to_sal_days) as to_sal_days,
        median(created_to_sql_days) as to_sql_days,
        median(created_to_opportunity_days) as to_opportunity_days,
        median(created_to_won_days) as to_won_days
    from filtered_leads
),

typical_days as (
    select
        unnest([1, 2, 3, 4, 5]) as from_stage_order,
        unnest([to_mql_days, to_sal_days, to_sql_days, to_opportunity_days, to_won_days]) as median_days_to_stage
    from typical_medians
),

-- Each created month of the window: how many of its leads reached each stage by now.
month_counts as (
    select
        date_trunc('month', created_at)::date as created_month,
        count(*) filter (where reached_lead and is_marketing_sourced) as marketing_lead_count,
        count(*) filter (where reached_mql) as mql_count,
        count(*) filter (where reached_sal) as sal_count,
        count(*) filter (where reached_sql) as sql_count,
        count(*) filter (where reached_opportunity) as opportunity_count,
        count(*) filter (where reached_sal and joined_stage_order is distinct from 3) as sal_from_mql_count,
        count(*) filter (where reached_sql and joined_stage_order is distinct from 4) as sql_from_sal_count,
        count(*) filter (where reached_opportunity and joined_stage_order is distinct from 5)
            as opportunity_from_sql_count,
        count(*) filter (where reached_won and joined_stage_order is distinct from 6) as won_from_opportunity_count,
        date_diff('microsecond', median(created_at), (select now_at from as_of)) / 86400e6 as month_age_days
    from filtered_leads
    where ($start is null or created_at >= $start) and ($end is null or created_at < $end)
    group by all
),

-- Each month once per step: the leads at the step's first stage and those that went on.
monthly as (
    select
        created_month,
        unnest([1, 2, 3, 4, 5]) as from_stage_order,
        unnest([marketing_lead_count, mql_count, sal_count, sql_count, opportunity_count]) as from_count,
        unnest([mql_count, sal_from_mql_count, sql_from_sal_count, opportunity_from_sql_count,
                won_from_opportunity_count]) as to_count,
        month_age_days
    from month_counts
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
