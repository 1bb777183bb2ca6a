-- Derived tables, rebuilt by every writer (demo, import) right after the canonical tables load.
-- They hold what many queries need per lead, computed once instead of in every query.

-- lead_milestones: one row per lead with its place on the funnel as DESIGN.md defines it, then the
-- lead attributes the shared filters, breakdowns and exits read (so funnel queries need no join
-- back to leads). Stored in created_at order: a window on created_at skips most row groups.
--
-- Two paths into the handoff. A marketing-sourced lead goes Lead → MQL → SAL → …; a sales-sourced
-- lead is never an MQL, whatever its timestamps say (its mql_at here is NULL), and joins the path at
-- its first sales stage with a timestamp (joined_stage_order). A lead reached a stage if it is on a
-- path through that stage and has that stage's timestamp or a later one; it entered the stage at
-- that timestamp, else at the first later one (*_entered_at). Durations are exact to the microsecond.
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

-- Speed to lead belongs to MQLs, so only a marketing-sourced lead's mql_at starts its clock.
first_sales_touches as (
    select t.lead_id, min(t.touched_at) as first_sales_touch_at
    from touches as t
    join leads as l using (lead_id)
    where t.team = 'sales' and l.sourced_by = 'marketing' and l.mql_at is not null and t.touched_at >= l.mql_at
    group by t.lead_id
),

paths as (
    select
        l.*,
        d.opportunity_at,
        d.won_at,
        d.first_deal_id,
        s.first_sales_touch_at,
        l.sourced_by = 'marketing' as is_marketing_sourced,
        case when l.sourced_by = 'sales' then
            case
                when l.sal_at is not null then 3
                when l.sql_at is not null then 4
                when d.opportunity_at is not null then 5
                when d.won_at is not null then 6
            end
        end as joined_stage_order
    from leads as l
    left join first_deals as d using (lead_id)
    left join first_sales_touches as s using (lead_id)
),

reached as (
    select
        *,
        is_marketing_sourced and coalesce(mql_at, sal_at, sql_at, opportunity_at, won_at) is not null as on_mql,
        coalesce(sal_at, sql_at, opportunity_at, won_at) is not null
            and (is_marketing_sourced or joined_stage_order <= 3) as on_sal,
        coalesce(sql_at, opportunity_at, won_at) is not null
            and (is_marketing_sourced or joined_stage_order <= 4) as on_sql
    from paths
),

final as (
    select
        lead_id,
        created_at,
        case when is_marketing_sourced then mql_at end as mql_at,
        sal_at,
        sql_at,
        opportunity_at,
        won_at,
        first_deal_id,
        first_sales_touch_at,
        date_diff('microsecond', mql_at, first_sales_touch_at) / 3600e6 as speed_to_lead_hours,
        true as reached_lead,
        on_mql as reached_mql,
        on_sal as reached_sal,
        on_sql as reached_sql,
        opportunity_at is not null as reached_opportunity,
        won_at is not null as reached_won,
        segment,
        region,
        channel,
        sourced_by,
        owner_id,
        source_campaign_id,
        industry,
        company_size,
        score,
        disqualified_at,
        disqualify_reason,
        -- When the lead entered MQL, SAL and SQL on its path: its own timestamp, else the first later one.
        case when on_mql then coalesce(mql_at, sal_at, sql_at, opportunity_at, won_at) end as mql_entered_at,
        case when on_sal then coalesce(sal_at, sql_at, opportunity_at, won_at) end as sal_entered_at,
        case when on_sql then coalesce(sql_at, opportunity_at, won_at) end as sql_entered_at,
        -- Days from creation to entering each later stage (how long leads typically take).
        date_diff('microsecond', created_at,
            case when on_mql then coalesce(mql_at, sal_at, sql_at, opportunity_at, won_at) end) / 86400e6
            as created_to_mql_days,
        date_diff('microsecond', created_at,
            case when on_sal then coalesce(sal_at, sql_at, opportunity_at, won_at) end) / 86400e6
            as created_to_sal_days,
        date_diff('microsecond', created_at,
            case when on_sql then coalesce(sql_at, opportunity_at, won_at) end) / 86400e6
            as created_to_sql_days,
        date_diff('microsecond', created_at, opportunity_at) / 86400e6 as created_to_opportunity_days,
        date_diff('microsecond', created_at, won_at) / 86400e6 as created_to_won_days,
        is_marketing_sourced,
        joined_stage_order
    from reached
)

select * from final
order by created_at, lead_id;
