-- explore__deal_records
-- One row per deal in $deal_ids (the drill-down of a pivot cell), newest first, with its key fields,
-- its lead's source and whether it was created (pipeline) or closed (bookings, win rate) in the
-- window. At most $row_limit rows.
-- $deal_ids   text[] = null    the deals to list (from explore__cell_members); NULL = none
-- $start      date = null      window start, inclusive; NULL = no lower bound
-- $end        date = null      window end, exclusive; NULL = no upper bound
-- $row_limit  integer = 10000  most rows to return
with
deals as (
    select * from deals
),

leads as (
    select * from leads
),

people as (
    select * from people
),

chosen as (
    select distinct unnest($deal_ids) as deal_id
),

final as (
    select
        d.deal_id,
        d.lead_id,
        d.created_at,
        d.closed_at,
        d.stage,
        d.amount::double as amount_usd,
        d.product,
        p.name as owner,
        d.lost_reason,
        l.channel,
        l.sourced_by,
        l.segment,
        l.region,
        ($start is null or d.created_at >= $start) and ($end is null or d.created_at < $end)
            as is_created_in_window,
        d.closed_at is not null
            and ($start is null or d.closed_at >= $start) and ($end is null or d.closed_at < $end)
            as is_closed_in_window
    from chosen
    join deals as d using (deal_id)
    join leads as l using (lead_id)
    left join people as p on p.person_id = d.owner_id
)

select * from final
order by created_at desc, deal_id
limit $row_limit
