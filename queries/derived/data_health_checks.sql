-- data_health_checks: one row per data-health check (what data__health_checks returns): how many
-- records the check looked at, how many fail it (queries/derived/data_health_failures.sql, where
-- the rules are), the share that pass and up to five failing ids. The checks read only the file's
-- own tables, so they are computed once when the file is written instead of on every visit to the
-- Data page (about a second on 1M leads).
create or replace table data_health_checks as
with
checks as (
    select * from (values
        (1, 'leads_with_source', 'Leads with a source', 'leads'),
        (2, 'deals_with_lead', 'Deals with a lead', 'deals'),
        (3, 'mqls_with_response', 'MQLs with a sales response', 'leads'),
        (4, 'lead_stages_in_order', 'Leads with stage timestamps in order', 'leads'),
        (5, 'deal_cycle_not_negative', 'Closed deals closed after they opened', 'deals'),
        (6, 'won_deals_dated', 'Won deals with a close date', 'deals'),
        (7, 'references_resolve', 'References that resolve (no orphans)', 'all tables'),
        (8, 'campaigns_used', 'Campaigns used by a lead or touch', 'campaigns')
    ) as c (check_order, check_name, check_label, table_name)
),

-- What each check looks at: every lead, deal or campaign, the MQLs, the closed deals, the won deals,
-- and every reference (each id a record gives for another table's record).
checked as (
    select 'leads_with_source' as check_name, count(*) as checked_count from leads
    union all
    select 'deals_with_lead', count(*) from deals
    union all
    select 'mqls_with_response', count(*) from lead_milestones where mql_at is not null
    union all
    select 'lead_stages_in_order', count(*) from lead_milestones
    union all
    select 'deal_cycle_not_negative', count(*) from deals where closed_at is not null
    union all
    select 'won_deals_dated', count(*) from deals where stage = 'won'
    union all
    select 'references_resolve',
        (select count(owner_id) + count(source_campaign_id) from leads)
        + (select count(*) + count(campaign_id) + count(person_id) from touches)
        + (select count(owner_id) + count(*) from deals)
        + (select count(manager_id) from people)
    union all
    select 'campaigns_used', count(*) from campaigns
),

failures as (
    select check_name, count(*) as issue_count, list(record_id order by record_id) as issue_ids
    from data_health_failures
    group by check_name
),

final as (
    select
        c.check_order,
        c.check_name,
        c.check_label,
        c.table_name,
        k.checked_count,
        coalesce(f.issue_count, 0) as issue_count,
        1 - coalesce(f.issue_count, 0) / nullif(k.checked_count, 0) as ok_rate,
        array_to_string(coalesce(f.issue_ids, [])[1:5], ', ') as sample_ids
    from checks as c
    join checked as k using (check_name)
    left join failures as f using (check_name)
)

select * from final
order by check_order;
