-- sla__mqls
-- One row per MQL (lead with an mql_at) in the window, by mql_at: what the SLA clock needs. Its
-- score, region, segment, source and owner; its first sales touch at or after mql_at; sales'
-- decision (accepted when it has a sal_at, rejected when disqualified with a reason and never
-- accepted; decided_at is the first of sal_at and a reasoned disqualified_at); and whether it
-- reached SQL and Won.
-- $start            date = null     window start on mql_at (inclusive)
-- $end              date = null     window end on mql_at (exclusive)
-- $segments         text[] = null   lead segments; NULL = all
-- $regions          text[] = null   lead regions; NULL = all
-- $channels         text[] = null   lead source channels; NULL = all
-- $teams            text[] = null   who sourced the lead (marketing, sales); NULL = all
-- $owners           text[] = null   lead owners (person_id); NULL = all
-- $campaigns        text[] = null   source campaigns; NULL = all
-- $unanswered_only  boolean = false  only MQLs without a sales touch yet (the live queue)
with
leads as (
    select * from leads
),

milestones as (
    select lead_id, first_sales_touch_at, reached_sql, reached_won from lead_milestones
),

people as (
    select person_id, name from people
),

campaigns as (
    select campaign_id, name from campaigns
),

mqls as (
    select l.*
    from leads as l
    where l.mql_at is not null
        and ($start is null or l.mql_at >= $start)
        and ($end is null or l.mql_at < $end)
        and ($segments is null or list_contains($segments, l.segment))
        and ($regions is null or list_contains($regions, l.region))
        and ($channels is null or list_contains($channels, l.channel))
        and ($teams is null or list_contains($teams, l.sourced_by))
        and ($owners is null or list_contains($owners, l.owner_id))
        and ($campaigns is null or list_contains($campaigns, l.source_campaign_id))
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
        m.lead_id,
        m.mql_at,
        m.score,
        m.region,
        m.segment,
        m.channel,
        m.source_campaign_id,
        c.name as campaign_name,
        m.sourced_by,
        m.owner_id,
        p.name as owner_name,
        s.first_sales_touch_at,
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
    where not $unanswered_only or s.first_sales_touch_at is null
)

select * from final
order by mql_at, lead_id
