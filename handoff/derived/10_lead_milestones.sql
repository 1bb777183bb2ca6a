-- Derived tables, rebuilt by every writer (demo, import) right after the canonical tables load.
-- They hold what many queries need per lead, computed once instead of in every query.

-- lead_milestones: one row per lead with every funnel timestamp, speed to lead and the
-- "reached" flags of DESIGN.md (a lead reached a stage if it has that stage or any later one),
-- then the lead attributes the shared filters, breakdowns and exits read (so funnel queries need
-- no join back to leads) and when it entered each skippable stage. Stored in created_at order: a window on created_at skips most row groups.
create or replace table lead_milestones as
with
first_deals as (
    select
        lead_id,
        min(created_at) as opportunity_at,
        min(closed_at) filter (where stage = 'won') as won_at,
        arg_min(deal_id, created_at) as first_deal_id
    from deals
    group by lead_id
),

first_sales_touches as (
    select t.lead_id, min(t.touched_at) as first_sales_touch_at
    from touches as t
    join leads as l using (lead_id)
    where t.team = 'sales' and l.mql_at is not null and t.touched_at >= l.mql_at
    group by t.lead_id
),

final as (
    select
        l.lead_id,
        l.created_at,
        l.mql_at,
        l.sal_at,
        l.sql_at,
        d.opportunity_at,
        d.won_at,
        d.first_deal_id,
        s.first_sales_touch_at,
        date_diff('second', l.mql_at, s.first_sales_touch_at) / 3600.0 as speed_to_lead_hours,
        true as reached_lead,
        coalesce(l.mql_at, l.sal_at, l.sql_at, d.opportunity_at, d.won_at) is not null as reached_mql,
        coalesce(l.sal_at, l.sql_at, d.opportunity_at, d.won_at) is not null as reached_sal,
        coalesce(l.sql_at, d.opportunity_at, d.won_at) is not null as reached_sql,
        d.opportunity_at is not null as reached_opportunity,
        d.won_at is not null as reached_won,
        l.segment,
        l.region,
        l.channel,
        l.sourced_by,
        l.owner_id,
        l.source_campaign_id,
        l.industry,
        l.company_size,
        l.score,
        l.disqualified_at,
        l.disqualify_reason,
        -- When the lead entered MQL, SAL and SQL: its own timestamp, else the first later one.
        coalesce(l.mql_at, l.sal_at, l.sql_at, d.opportunity_at, d.won_at) as mql_entered_at,
        coalesce(l.sal_at, l.sql_at, d.opportunity_at, d.won_at) as sal_entered_at,
        coalesce(l.sql_at, d.opportunity_at, d.won_at) as sql_entered_at,
        -- Days from creation to entering each later stage (how long leads typically take).
        date_diff('second', l.created_at, coalesce(l.mql_at, l.sal_at, l.sql_at, d.opportunity_at, d.won_at)) / 86400.0
            as created_to_mql_days,
        date_diff('second', l.created_at, coalesce(l.sal_at, l.sql_at, d.opportunity_at, d.won_at)) / 86400.0
            as created_to_sal_days,
        date_diff('second', l.created_at, coalesce(l.sql_at, d.opportunity_at, d.won_at)) / 86400.0
            as created_to_sql_days,
        date_diff('second', l.created_at, d.opportunity_at) / 86400.0 as created_to_opportunity_days,
        date_diff('second', l.created_at, d.won_at) / 86400.0 as created_to_won_days
    from leads as l
    left join first_deals as d using (lead_id)
    left join first_sales_touches as s using (lead_id)
)

select * from final
order by created_at, lead_id;
