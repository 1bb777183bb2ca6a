-- Touches whose lead, campaign or person does not exist: one row per broken reference (at most
-- five), run by every writer before it saves, in place of per-row foreign keys on touches.
with
orphans as (
    select 'lead_id' as column_name, t.touch_id, t.lead_id as missing_value
    from touches as t anti join leads as l on l.lead_id = t.lead_id
    union all
    select 'campaign_id', t.touch_id, t.campaign_id
    from touches as t anti join campaigns as c on c.campaign_id = t.campaign_id
    where t.campaign_id is not null
    union all
    select 'person_id', t.touch_id, t.person_id
    from touches as t anti join people as p on p.person_id = t.person_id
    where t.person_id is not null
)

select * from orphans
order by column_name, touch_id
limit 5
