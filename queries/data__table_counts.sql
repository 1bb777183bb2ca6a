-- data__table_counts
-- One row per canonical table: how many rows it holds and the span of its main timestamp.
with
final as (
    select 'people' as table_name, 1 as table_order, count(*) as row_count,
           null::timestamp as earliest_at, null::timestamp as latest_at
    from people
    union all
    select 'campaigns', 2, count(*), min(start_date)::timestamp, max(coalesce(end_date, start_date))::timestamp
    from campaigns
    union all
    select 'leads', 3, count(*), min(created_at), max(created_at) from leads
    union all
    select 'touches', 4, count(*), min(touched_at), max(touched_at) from touches
    union all
    select 'deals', 5, count(*), min(created_at), max(greatest(created_at, coalesce(closed_at, created_at)))
    from deals
    union all
    select 'targets', 6, count(*), min(period_start)::timestamp, max(period_start)::timestamp from targets
)

select table_name, row_count, earliest_at, latest_at
from final
order by table_order
