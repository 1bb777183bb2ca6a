-- data__health_check_rows
-- The records failing one data-health check (see data__health_checks), one row per record: its id,
-- its table and what is wrong, in words. At most $limit rows, ordered by id.
-- $check  text in (leads_with_source, deals_with_lead, mqls_with_response, lead_stages_in_order, deal_cycle_not_negative, won_deals_dated, references_resolve, campaigns_used) = lead_stages_in_order  which check
-- $limit  integer = 50  how many records at most
with
milestones as (
    select * from lead_milestones
),


failing as (
    select lead_id as record_id, 'leads' as table_name, 'channel is ' || coalesce('''' || channel || '''', 'empty') as detail
    from leads
    where $check = 'leads_with_source'
      and (channel is null or lower(trim(channel)) in ('', 'unknown', 'none', '(none)', 'n/a', 'null'))
    union all
    select d.deal_id, 'deals', 'lead_id ' || d.lead_id || ' is not a lead'
    from deals as d
    where $check = 'deals_with_lead' and not exists (select 1 from leads as l where l.lead_id = d.lead_id)
    union all
    select lead_id, 'leads', 'MQL at ' || strftime(mql_at, '%Y-%m-%d %H:%M') || ', no sales touch since'
    from milestones
    where $check = 'mqls_with_response' and mql_at is not null and first_sales_touch_at is null
    union all
    select lead_id, 'leads',
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
    where $check = 'lead_stages_in_order'
      and (mql_at < created_at or sal_at < greatest(created_at, mql_at)
           or sql_at < greatest(created_at, mql_at, sal_at) or opportunity_at < created_at)
    union all
    select deal_id, 'deals', 'closed ' || strftime(closed_at, '%Y-%m-%d %H:%M') || ', opened '
        || strftime(created_at, '%Y-%m-%d %H:%M')
    from deals
    where $check = 'deal_cycle_not_negative' and closed_at < created_at
    union all
    select deal_id, 'deals', 'won, with no close date'
    from deals
    where $check = 'won_deals_dated' and stage = 'won' and closed_at is null
    union all
    select l.lead_id, 'leads', 'owner_id ' || l.owner_id || ' is not a person'
    from leads as l
    where $check = 'references_resolve' and l.owner_id is not null
      and not exists (select 1 from people as p where p.person_id = l.owner_id)
    union all
    select l.lead_id, 'leads', 'source_campaign_id ' || l.source_campaign_id || ' is not a campaign'
    from leads as l
    where $check = 'references_resolve' and l.source_campaign_id is not null
      and not exists (select 1 from campaigns as c where c.campaign_id = l.source_campaign_id)
    union all
    select t.touch_id, 'touches', 'lead_id ' || t.lead_id || ' is not a lead'
    from touches as t
    where $check = 'references_resolve' and not exists (select 1 from leads as l where l.lead_id = t.lead_id)
    union all
    select t.touch_id, 'touches', 'campaign_id ' || t.campaign_id || ' is not a campaign'
    from touches as t
    where $check = 'references_resolve' and t.campaign_id is not null
      and not exists (select 1 from campaigns as c where c.campaign_id = t.campaign_id)
    union all
    select t.touch_id, 'touches', 'person_id ' || t.person_id || ' is not a person'
    from touches as t
    where $check = 'references_resolve' and t.person_id is not null
      and not exists (select 1 from people as p where p.person_id = t.person_id)
    union all
    select d.deal_id, 'deals', 'owner_id ' || d.owner_id || ' is not a person'
    from deals as d
    where $check = 'references_resolve' and d.owner_id is not null
      and not exists (select 1 from people as p where p.person_id = d.owner_id)
    union all
    select d.deal_id, 'deals', 'lead_id ' || d.lead_id || ' is not a lead'
    from deals as d
    where $check = 'references_resolve' and not exists (select 1 from leads as l where l.lead_id = d.lead_id)
    union all
    select e.person_id, 'people', 'manager_id ' || e.manager_id || ' is not a person'
    from people as e
    where $check = 'references_resolve' and e.manager_id is not null
      and not exists (select 1 from people as m where m.person_id = e.manager_id)
    union all
    select c.campaign_id, 'campaigns', 'no lead or touch refers to ' || c.name
    from campaigns as c
    where $check = 'campaigns_used'
      and not exists (select 1 from leads as l where l.source_campaign_id = c.campaign_id)
      and not exists (select 1 from touches as t where t.campaign_id = c.campaign_id)
),

final as (
    select record_id, table_name, detail
    from failing
    order by record_id
    limit $limit
)

select * from final
