-- data__as_of
-- One row: the day the data describes ("today" for relative periods), from the as-of date recorded
-- with the data or, failing that, the latest lead, touch or deal timestamp.
with
recorded as (
    select try_cast(value as date) as as_of_date from handoff_meta where key = 'as_of'
),

observed as (
    select greatest(
        (select max(created_at) from leads),
        (select max(touched_at) from touches),
        (select max(coalesce(closed_at, created_at)) from deals)
    )::date as as_of_date
)

select coalesce((select as_of_date from recorded), (select as_of_date from observed), current_date) as as_of_date
