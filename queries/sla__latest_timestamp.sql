-- sla__latest_timestamp
-- One row: the data's as-of time (`as_of_at`), the latest timestamp anywhere in the leads, touches
-- and deals. SLA items still inside their window at this moment are pending; the live queue
-- counts time left from it. NULL for an empty database.
with
-- Worked out when the file is written (queries/derived/sla_as_of.sql).
as_of as (
    select as_of_at from sla_as_of
),

final as (
    select as_of_at from as_of
)

select * from final
