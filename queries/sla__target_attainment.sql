-- sla__target_attainment
-- One row per target (month, team, metric, segment; segment NULL = all segments) whose month starts
-- in the window, with the actual value: MQLs, SALs and SQLs counted by the month of their
-- timestamp; pipeline by deals created in the month; bookings by won deals closed in the month.
-- Marketing's pipeline and bookings count only marketing-sourced leads' deals. actual_value is NULL
-- for a metric Handoff does not know.
-- $start     date = null     first month (targets whose period_start is on or after it)
-- $end       date = null     end of the window (targets whose period_start is before it)
-- $segments  text[] = null   keep only these segments' targets (drops the all-segment rows); NULL = all
with
targets as (
    select
        row_number() over () as target_row, period_start, team, metric, segment, value::double as target_value
    from targets
    where ($start is null or period_start >= $start)
        and ($end is null or period_start < $end)
        and ($segments is null or list_contains($segments, segment))
),

-- Monthly actuals per segment and sourcing team, built at import (queries/derived/sla_monthly_actuals.sql).
facts as (
    select metric, period_start, segment, sourced_by, actual_value as value from sla_monthly_actuals
),

final as (
    select
        t.period_start,
        t.team,
        t.metric,
        t.segment,
        t.target_value,
        case when t.metric in ('mqls', 'sals', 'sqls', 'pipeline', 'bookings')
             then coalesce(sum(f.value), 0)::double end as actual_value
    from targets as t
    left join facts as f
        on f.metric = t.metric
        and f.period_start = t.period_start
        and (t.segment is null or f.segment = t.segment)
        -- A team's money targets count its own sourced deals for marketing, every deal for sales.
        and (t.metric not in ('pipeline', 'bookings') or t.team = 'sales' or f.sourced_by = t.team)
    group by t.target_row, t.period_start, t.team, t.metric, t.segment, t.target_value
)

select * from final
order by period_start, team, metric, segment nulls first
