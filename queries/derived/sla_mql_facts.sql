-- sla_mql_facts: one row per MQL (a marketing-sourced lead with an mql_at: a sales-sourced lead is
-- never an MQL, DESIGN.md), in mql_at order, with the policy-independent
-- facts every SLA evaluation needs: who and where it is, its first sales touch at or after mql_at,
-- sales' decision and how far it got. sla__mqls filters this instead of joining five tables per call;
-- nothing here depends on the SLA policy file (which can change without an import). mql_number
-- is each MQL's place in (mql_at, lead_id) order: queries sort on it instead of on text. Industry,
-- company size and speed to lead are here for explore__mql_cells (the pivot's cells of these MQLs).
create or replace table sla_mql_facts as
with
mqls as (
    select * from leads where mql_at is not null and sourced_by = 'marketing'
),

milestones as (
    select lead_id, first_sales_touch_at, speed_to_lead_hours, reached_sql, reached_won from lead_milestones
),

people as (
    select person_id, name from people
),

campaigns as (
    select campaign_id, name from campaigns
),

decisions as (
    select
        lead_id,
        sal_at is not null as is_accepted,
        sal_at is null and disqualify_reason is not null and disqualified_at is not null as is_rejected,
        -- least() skips NULLs: the first of acceptance and a rejection that gave its reason.
        least(sal_at, case when disqualify_reason is not null then disqualified_at end) as decided_at
    from mqls
),

final as (
    select
        row_number() over (order by m.mql_at, m.lead_id) as mql_number,
        m.lead_id,
        m.mql_at,
        m.score,
        m.region,
        m.segment,
        m.channel,
        m.source_campaign_id,
        c.name as campaign_name,
        m.sourced_by,
        m.industry,
        m.company_size,
        m.owner_id,
        p.name as owner_name,
        s.first_sales_touch_at,
        s.speed_to_lead_hours,
        d.decided_at,
        d.is_accepted,
        d.is_rejected,
        coalesce(s.reached_sql, false) as reached_sql,
        coalesce(s.reached_won, false) as reached_won
    from mqls as m
    join decisions as d using (lead_id)
    left join milestones as s using (lead_id)
    left join people as p on p.person_id = m.owner_id
    left join campaigns as c on c.campaign_id = m.source_campaign_id
)

select * from final
order by mql_number;
