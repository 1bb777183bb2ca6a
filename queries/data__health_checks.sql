-- data__health_checks
-- One row per data-health check, so a chart that looks wrong can be traced to its data: how many
-- records the check looked at, how many fail it, the share that pass (ok_rate, 0-1) and up to five
-- failing ids. Checks: leads with a known source (channel not empty/unknown), deals whose lead
-- exists, MQLs with a sales response (a sales touch at or after mql_at), leads whose stage
-- timestamps are in order (MQL, SAL, SQL not before an earlier stage; first deal not before the
-- lead), closed deals closed at or after they opened, won deals with a close date, references that
-- resolve (no orphans: owner, campaign, lead, person and manager ids all exist), campaigns used by a
-- lead or touch. Computed when the file is written (queries/derived/data_health_checks.sql): the
-- checks depend on nothing but the file.
with
checks as (
    select * from data_health_checks
),

final as (
    select
        check_order,
        check_name,
        check_label,
        table_name,
        checked_count,
        issue_count,
        ok_rate,
        sample_ids
    from checks
)

select * from final
order by check_order
