-- funnel__velocity
-- One row per step between consecutive funnel stages: how many leads have both stage timestamps
-- and the median and 90th-percentile days between them. A skipped stage has no timestamp, so a
-- lead that skipped it does not count for the steps into or out of it. The step's owner is the team
-- that owns the stage it leads to (MQL → SAL is sales' acceptance time).
-- Cohort: leads created in the window. Period: steps completed (second timestamp) in the window.
-- $start      date = null                   window start, inclusive; NULL = no lower bound
-- $end        date = null                   window end, exclusive; NULL = no upper bound
-- $segments   text[] = null                 lead segments to keep; NULL = all
-- $regions    text[] = null                 lead regions to keep; NULL = all
-- $channels   text[] = null                 original source channels to keep; NULL = all
-- $teams      text[] = null                 who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null                 lead owner person_ids; NULL = all
-- $campaigns  text[] = null                 source campaign_ids; NULL = all
-- $mode       text in (cohort, period) = cohort   cohort of leads created in the window, or steps completed in it
with
-- lead_milestones carries the filter attributes: no join back to leads.
milestones as (
    select * from lead_milestones
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

lead_steps as (
    select
        created_at,
        unnest([1, 2, 3, 4, 5]) as from_stage_order,
        unnest([created_at, mql_at, sal_at, sql_at, opportunity_at]) as from_at,
        unnest([mql_at, sal_at, sql_at, opportunity_at, won_at]) as to_at
    from filtered_leads
),

timed_steps as (
    select from_stage_order, date_diff('microsecond', from_at, to_at) / 86400e6 as step_days
    from lead_steps
    where from_at is not null
      and to_at is not null
      and case $mode
          when 'period' then ($start is null or to_at >= $start) and ($end is null or to_at < $end)
          else ($start is null or created_at >= $start) and ($end is null or created_at < $end)
      end
),

step_stats as (
    select
        from_stage_order,
        count(*) as pair_count,
        median(step_days) as median_days,
        quantile_cont(step_days, 0.9) as p90_days
    from timed_steps
    group by all
),

final as (
    select
        s.from_stage_order,
        s.from_stage,
        s.to_stage,
        s.owner_team,
        coalesce(t.pair_count, 0) as pair_count,
        t.median_days,
        t.p90_days
    from steps as s
    left join step_stats as t using (from_stage_order)
)

select * from final
order by from_stage_order
