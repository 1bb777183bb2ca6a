-- data_health_failures: one row per record failing a data-health check (check_name), with its id,
-- its table and what is wrong, in words: the rules of every check, stated once. data_health_checks
-- counts them; data__health_check_rows lists them. Checks: leads with a known source (channel not
-- empty/unknown), deals whose lead exists, MQLs with a sales response (a sales touch at or after
-- mql_at), leads whose stage timestamps are in order (MQL, SAL, SQL not before an earlier stage;
-- first deal not before the lead), closed deals closed at or after they opened, won deals with a
-- close date, references that resolve (owner, campaign, lead, person and manager ids all exist; one
-- row per dangling reference), campaigns used by a lead or touch.
create or replace table data_health_failures as
with
milestones as (
    select * from lead_milestones
),

final as (
    select
        'leads_with_source' as check_name,
        lead_id as record_id,
        'leads' as table_name,
        'channel is ' || coalesce('''' || channel || '''', 'empty') as detail
    from leads
    where channel is null or lower(trim(channel)) in ('', 'unknown', 'none', '(none)', 'n/a', 'null')

    union all

    select 'deals_with_lead', d.deal_id, 'deals', 'lead_id ' || d.lead_id || ' is not a lead'
    from deals as d
    where not exists (select 1 from leads as l where l.lead_id = d.lead_id)

    union all

    select 'mqls_with_response', lead_id, 'leads',
           'MQL at ' || strftime(mql_at, '%Y-%m-%d %H:%M') || ', no sales touch since'
    from milestones
    where mql_at is not null and first_sales_touch_at is null

    union all

    select 'lead_stages_in_order', lead_id, 'leads',
           case
               when mql_at < created_at then 'mql_at ' || strftime(mql_at, '%Y-%m-%d %H:%M')
                   || ' is before created_at ' || strftime(created_at, '%Y-%m-%d %H:%M')
               when sal_at < greatest(created_at, mql_at) then 'sal_at ' || strftime(sal_at, '%Y-%m-%d %H:%M')
                   || ' is before ' || strftime(greatest(created_at, mql_at), '%Y-%m-%d %H:%M')
               when sql_at < greatest(created_at, mql_at, sal_at) then 'sql_at ' || strftime(sql_at, '%Y-%m-%d %H:%M')
                   || ' is before ' || strftime(greatest(created_at, mql_at, sal_at), '%Y-%m-%d %H:%M')
               else 'first deal opened ' || strftime(opportunity_at, '%Y-%m-%d %H:%M')
                   || ', before the lead was created ' || strftime(created_at, '%Y-%m-%d %H:%M')
           end
    from milestones
    where (mql_at < created_at or sal_at < greatest(created_at, mql_at)
           or sql_at < greatest(created_at, mql_at, sal_at) or opportunity_at < created_at)

    union all

    select 'deal_cycle_not_negative', deal_id, 'deals',
           'closed ' || strftime(closed_at, '%Y-%m-%d %H:%M') || ', opened ' || strftime(created_at, '%Y-%m-%d %H:%M')
    from deals
    where closed_at < created_at

    union all

    select 'won_deals_dated', deal_id, 'deals', 'won, with no close date'
    from deals
    where stage = 'won' and closed_at is null

    union all

    select 'references_resolve', l.lead_id, 'leads', 'owner_id ' || l.owner_id || ' is not a person'
    from leads as l
    where l.owner_id is not null
      and not exists (select 1 from people as p where p.person_id = l.owner_id)

    union all

    select 'references_resolve', l.lead_id, 'leads',
           'source_campaign_id ' || l.source_campaign_id || ' is not a campaign'
    from leads as l
    where l.source_campaign_id is not null
      and not exists (select 1 from campaigns as c where c.campaign_id = l.source_campaign_id)

    union all

    select 'references_resolve', t.touch_id, 'touches', 'lead_id ' || t.lead_id || ' is not a lead'
    from touches as t
    where not exists (select 1 from leads as l where l.lead_id = t.lead_id)

    union all

    select 'references_resolve', t.touch_id, 'touches',
           'campaign_id ' || t.campaign_id || ' is not a campaign'
    from touches as t
    where t.campaign_id is not null
      and not exists (select 1 from campaigns as c where c.campaign_id = t.campaign_id)

    union all

    select 'references_resolve', t.touch_id, 'touches', 'person_id ' || t.person_id || ' is not a person'
    from touches as t
    where t.person_id is not null
      and not exists (select 1 from people as p where p.person_id = t.person_id)

    union all

    select 'references_resolve', d.deal_id, 'deals', 'owner_id ' || d.owner_id || ' is not a person'
    from deals as d
    where d.owner_id is not null
      and not exists (select 1 from people as p where p.person_id = d.owner_id)

    union all

    select 'references_resolve', d.deal_id, 'deals', 'lead_id ' || d.lead_id || ' is not a lead'
    from deals as d
    where not exists (select 1 from leads as l where l.lead_id = d.lead_id)

    union all

    select 'references_resolve', e.person_id, 'people',
           'manager_id ' || e.manager_id || ' is not a person'
    from people as e
    where e.manager_id is not null
      and not exists (select 1 from people as m where m.person_id = e.manager_id)

    union all

    select 'campaigns_used', c.campaign_id, 'campaigns', 'no lead or touch refers to ' || c.name
    from campaigns as c
    where not exists (select 1 from leads as l where l.source_campaign_id = c.campaign_id)
      and not exists (select 1 from touches as t where t.campaign_id = c.campaign_id)
)

select * from final
order by check_name, record_id;
