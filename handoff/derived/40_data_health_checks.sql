-- data_health_checks: one row per data-health check (what data__health_checks returns): how many
-- records the check looked at, how many fail it, the share that pass and up to five failing ids.
-- The checks read only the file's own tables, so they are computed once when the file is written
-- instead of on every visit to the Data page (about a second on 1M leads). Checks: leads with a
-- known source (channel not empty/unknown), deals whose lead exists, MQLs with a sales response (a
-- sales touch at or after mql_at), leads whose stage timestamps are in order (MQL, SAL, SQL not
-- before an earlier stage; first deal not before the lead), closed deals closed at or after they
-- opened, won deals with a close date, references that resolve (no orphans: owner, campaign, lead,
-- person and manager ids all exist), campaigns used by a lead or touch.
create or replace table data_health_checks as
with
leads_checked as (
    select
        l.lead_id,
        l.channel is null or lower(trim(l.channel)) in ('', 'unknown', 'none', '(none)', 'n/a', 'null')
            as has_no_source,
        m.mql_at is not null and m.first_sales_touch_at is null as is_mql_without_response,
        m.mql_at is not null as is_mql,
        m.mql_at < m.created_at
            or m.sal_at < greatest(m.created_at, m.mql_at)
            or m.sql_at < greatest(m.created_at, m.mql_at, m.sal_at)
            or m.opportunity_at < m.created_at as has_stages_out_of_order
    from leads as l
    join lead_milestones as m using (lead_id)
),

deals_checked as (
    select
        d.deal_id,
        l.lead_id is null as has_no_lead,
        d.closed_at is not null as is_closed,
        d.closed_at < d.created_at as has_negative_cycle,
        d.stage = 'won' as is_won,
        d.stage = 'won' and d.closed_at is null as is_won_undated
    from deals as d
    left join leads as l using (lead_id)
),

references_checked as (
    select l.lead_id as record_id, p.person_id is null as is_orphan
    from leads as l left join people as p on p.person_id = l.owner_id where l.owner_id is not null
    union all
    select l.lead_id, c.campaign_id is null
    from leads as l left join campaigns as c on c.campaign_id = l.source_campaign_id
    where l.source_campaign_id is not null
    union all
    select t.touch_id, l.lead_id is null from touches as t left join leads as l using (lead_id)
    union all
    select t.touch_id, c.campaign_id is null
    from touches as t left join campaigns as c using (campaign_id) where t.campaign_id is not null
    union all
    select t.touch_id, p.person_id is null
    from touches as t left join people as p using (person_id) where t.person_id is not null
    union all
    select d.deal_id, p.person_id is null
    from deals as d left join people as p on p.person_id = d.owner_id where d.owner_id is not null
    union all
    select e.person_id, m.person_id is null
    from people as e left join people as m on m.person_id = e.manager_id where e.manager_id is not null
    union all
    select deal_id, has_no_lead from deals_checked
),

campaigns_checked as (
    select
        c.campaign_id,
        not exists (select 1 from leads as l where l.source_campaign_id = c.campaign_id)
            and not exists (select 1 from touches as t where t.campaign_id = c.campaign_id) as is_unused
    from campaigns as c
),

checks as (
    select 1 as check_order, 'leads_with_source' as check_name, 'Leads with a source' as check_label,
           'leads' as table_name, count(*) as checked_count, count(*) filter (where has_no_source) as issue_count,
           list(lead_id order by lead_id) filter (where has_no_source) as issue_ids
    from leads_checked
    union all
    select 2, 'deals_with_lead', 'Deals with a lead', 'deals', count(*), count(*) filter (where has_no_lead),
           list(deal_id order by deal_id) filter (where has_no_lead)
    from deals_checked
    union all
    select 3, 'mqls_with_response', 'MQLs with a sales response', 'leads', count(*) filter (where is_mql),
           count(*) filter (where is_mql_without_response),
           list(lead_id order by lead_id) filter (where is_mql_without_response)
    from leads_checked
    union all
    select 4, 'lead_stages_in_order', 'Leads with stage timestamps in order', 'leads', count(*),
           count(*) filter (where has_stages_out_of_order),
           list(lead_id order by lead_id) filter (where has_stages_out_of_order)
    from leads_checked
    union all
    select 5, 'deal_cycle_not_negative', 'Closed deals closed after they opened', 'deals',
           count(*) filter (where is_closed), count(*) filter (where has_negative_cycle),
           list(deal_id order by deal_id) filter (where has_negative_cycle)
    from deals_checked
    union all
    select 6, 'won_deals_dated', 'Won deals with a close date', 'deals', count(*) filter (where is_won),
           count(*) filter (where is_won_undated), list(deal_id order by deal_id) filter (where is_won_undated)
    from deals_checked
    union all
    select 7, 'references_resolve', 'References that resolve (no orphans)', 'all tables', count(*),
           count(*) filter (where is_orphan), list(record_id order by record_id) filter (where is_orphan)
    from references_checked
    union all
    select 8, 'campaigns_used', 'Campaigns used by a lead or touch', 'campaigns', count(*),
           count(*) filter (where is_unused), list(campaign_id order by campaign_id) filter (where is_unused)
    from campaigns_checked
),

final as (
    select
        check_order,
        check_name,
        check_label,
        table_name,
        checked_count,
        issue_count,
        1 - issue_count / nullif(checked_count, 0) as ok_rate,
        array_to_string(coalesce(issue_ids, [])[1:5], ', ') as sample_ids
    from checks
)

select * from final
order by check_order;
