-- data__readiness
-- One row per data-readiness rule: whether the data holds what some metrics need (their `needs` in
-- handoff/metrics.toml), as `ready`, `partial` or `missing`, with how many records were found of how
-- many looked at and what is lacking in words. Rules: sales_touches_recorded, lost_deals_recorded,
-- open_deal_amounts, won_deal_amounts, mql_decisions_recorded. Computed when the file is written (queries/derived/data_readiness.sql).
with
rules as (
    select * from data_readiness
),

final as (
    select rule_order, rule_id, rule_label, status, found_count, checked_count, detail
    from rules
)

select * from final
order by rule_order
