-- sla_as_of: one row, the data's as-of time (`as_of_at`): the latest timestamp anywhere in the
-- leads, touches and deals (NULL for an empty database). It changes only when the data does, so it is
-- worked out once here instead of scanning 5 million touches whenever an SLA window is judged.
create or replace table sla_as_of as
with
lead_times as (
    select greatest(max(created_at), max(mql_at), max(sal_at), max(sql_at), max(disqualified_at)) as latest_at
    from leads
),

touch_times as (
    select max(touched_at) as latest_at from touches
),

deal_times as (
    select greatest(max(created_at), max(closed_at)) as latest_at from deals
),

final as (
    select greatest(
        (select latest_at from lead_times),
        (select latest_at from touch_times),
        (select latest_at from deal_times)
    ) as as_of_at
)

select * from final;
