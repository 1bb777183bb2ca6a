-- data__table_health
-- One row per canonical table: how many rows it holds, the span of its main date (leads: created_at,
-- touches: touched_at, deals: created or closed, campaigns: start/end, targets: period_start) and its
-- freshness: whole days from its newest date to $today (0 when its newest date is today or later: planned
-- campaigns and targets run ahead).
-- $today  date = null  the day freshness is counted to; NULL = the current date
with
spans as (
    select 'people' as table_name, 1 as table_order, count(*) as row_count,
           null::timestamp as earliest_at, null::timestamp as latest_at, 'no dates' as dated_by
    from people
    union all
    select 'campaigns', 2, count(*), min(start_date)::timestamp,
           max(coalesce(end_date, start_date))::timestamp, 'start_date, end_date'
    from campaigns
    union all
    select 'leads', 3, count(*), min(created_at), max(created_at), 'created_at' from leads
    union all
    select 'touches', 4, count(*), min(touched_at), max(touched_at), 'touched_at' from touches
    union all
    select 'deals', 5, count(*), min(created_at), max(greatest(created_at, closed_at)), 'created_at, closed_at'
    from deals
    union all
    select 'targets', 6, count(*), min(period_start)::timestamp, max(period_start)::timestamp, 'period_start'
    from targets
),

final as (
    select
        table_name,
        table_order,
        row_count,
        dated_by,
        earliest_at,
        latest_at,
        -- greatest() skips NULLs, so a table without dates is kept NULL explicitly
        case when latest_at is not null
             then greatest(date_diff('day', latest_at::date, coalesce($today, current_date)), 0) end as days_since_latest
    from spans
)

select * from final
order by table_order
