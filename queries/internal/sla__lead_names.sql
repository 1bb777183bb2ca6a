-- sla__lead_names
-- One row per lead of $lead_ids: its lead_id, lead_name and company_name, for the breach list and
-- the live queue to show beside the id (read after the lists are judged: a few hundred ids, not every MQL).
-- $lead_ids   text[] = null   the leads to name; NULL = none
with
wanted as (
    select unnest(coalesce($lead_ids, []::text[])) as lead_id
),

final as (
    select l.lead_id, l.lead_name, l.company_name
    from leads as l
    semi join wanted as w on w.lead_id = l.lead_id
)

select * from final
