-- data__health_check_rows
-- The records failing one data-health check (see data__health_checks), one row per record: its id,
-- its table and what is wrong, in words. At most $limit rows, ordered by id.
-- $check  text in (leads_with_source, deals_with_lead, mqls_with_response, lead_stages_in_order, deal_cycle_not_negative, won_deals_dated, references_resolve, campaigns_used) = lead_stages_in_order  which check
-- $limit  integer = 50  how many records at most
with
-- Found when the file is written, by the checks' rules (queries/derived/data_health_failures.sql).
failures as (
    select * from data_health_failures
),

final as (
    select record_id, table_name, detail
    from failures
    where check_name = $check
    order by record_id, detail
    limit $limit
)

select * from final
