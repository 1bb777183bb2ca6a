-- explore__lead_records
-- One row per lead in $lead_ids (the drill-down of a pivot cell), oldest first, with its key fields:
-- attributes, owner, every funnel timestamp, speed to lead, the furthest stage
-- it reached and its status now (won, lost = its first deal lost, disqualified, open); at most
-- row_limit rows.
-- $lead_ids   text[] = null    the leads to list (from explore__cell_members); NULL = none
-- $row_limit  integer = 10000  most rows to return
with
leads as (
    select * from leads
),

milestones as (
    select * from lead_milestones
),

people as (
    select * from people
),

campaigns as (
    select * from campaigns
),

deals as (
    select * from deals
),

chosen as (
    select distinct unnest($lead_ids) as lead_id
),

final as (
    select
        l.lead_id,
        l.created_at,
        l.channel,
        c.name as campaign,
        l.sourced_by,
        l.segment,
        l.region,
        l.industry,
        l.company_size,
        l.score,
        p.name as owner,
        m.mql_at,
        m.sal_at,
        m.sql_at,
        m.opportunity_at,
        m.won_at,
        m.speed_to_lead_hours,
        l.disqualified_at,
        l.disqualify_reason,
        case
            when m.reached_won then 'Won'
            when m.reached_opportunity then 'Opportunity'
            when m.reached_sql then 'SQL'
            when m.reached_sal then 'SAL'
            when m.reached_mql then 'MQL'
            else 'Lead'
        end as furthest_stage,
        case
            when m.reached_won then 'won'
            when d.stage = 'lost' then 'lost'
            when l.disqualified_at is not null then 'disqualified'
            else 'open'
        end as status
    from chosen
    join leads as l using (lead_id)
    join milestones as m using (lead_id)
    left join people as p on p.person_id = l.owner_id
    left join campaigns as c on c.campaign_id = l.source_campaign_id
    left join deals as d on d.deal_id = m.first_deal_id
)

select * from final
order by created_at, lead_id
limit $row_limit
