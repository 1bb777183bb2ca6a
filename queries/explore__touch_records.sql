-- explore__touch_records
-- One row per touch of the leads in $lead_ids (their whole journey, whenever it happened), in time
-- order per lead, with the campaign and the person who made it. At most $row_limit rows.
-- $lead_ids   text[] = null    the leads whose touches to list (from explore__cell_members); NULL = none
-- $row_limit  integer = 10000  most rows to return
with
touches as (
    select * from touches
),

people as (
    select * from people
),

campaigns as (
    select * from campaigns
),

chosen as (
    select distinct unnest($lead_ids) as lead_id
),

final as (
    select
        t.touch_id,
        t.lead_id,
        t.touched_at,
        t.team,
        t.channel,
        t.kind,
        c.name as campaign,
        p.name as person
    from chosen
    join touches as t using (lead_id)
    left join campaigns as c on c.campaign_id = t.campaign_id
    left join people as p on p.person_id = t.person_id
)

select * from final
order by lead_id, touched_at, touch_id
limit $row_limit
