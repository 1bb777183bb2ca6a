-- sla_monthly_actuals: one row per (metric, month, segment, sourced_by) with what counts against a
-- monthly target: MQL, SAL and SQL entries by their month, as the Overview and the period funnel
-- count them (lead_milestones' *_entered_at: a sales-sourced lead is never an MQL, a skipped stage
-- is entered with the first later one); pipeline by deals created in the month; bookings by won
-- deals closed in the month. sla__target_attainment joins the few targets of its window to this
-- instead of aggregating a million leads per call. Money stays exact (DECIMAL) until the join sums it.
create or replace table sla_monthly_actuals as
with
leads as (
    select lead_id, segment, sourced_by, mql_entered_at, sal_entered_at, sql_entered_at from lead_milestones
),

deals as (
    select d.created_at, d.closed_at, d.stage, d.amount, l.segment, l.sourced_by
    from deals as d
    join leads as l using (lead_id)
),

final as (
    select 'mqls' as metric, date_trunc('month', mql_entered_at)::date as period_start, segment, sourced_by,
           count(*)::decimal(38, 2) as actual_value
    from leads where mql_entered_at is not null group by all
    union all
    select 'sals', date_trunc('month', sal_entered_at)::date, segment, sourced_by, count(*)::decimal(38, 2)
    from leads where sal_entered_at is not null group by all
    union all
    select 'sqls', date_trunc('month', sql_entered_at)::date, segment, sourced_by, count(*)::decimal(38, 2)
    from leads where sql_entered_at is not null group by all
    union all
    select 'pipeline', date_trunc('month', created_at)::date, segment, sourced_by, sum(amount)::decimal(38, 2)
    from deals group by all
    union all
    select 'bookings', date_trunc('month', closed_at)::date, segment, sourced_by, sum(amount)::decimal(38, 2)
    from deals where stage = 'won' group by all
)

select * from final
order by metric, period_start, segment, sourced_by;
