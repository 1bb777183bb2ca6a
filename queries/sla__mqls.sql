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
-- Built at import in mql_at order (handoff/derived/30_sla_mql_facts.sql), so a window reads only its
-- own row groups; mql_number is the (mql_at, lead_id) order.
mql_facts as (
    select * from sla_mql_facts
),

final as (
    select
        mql_number,
        lead_id,
        mql_at,
        score,
        region,
        segment,
        channel,
        source_campaign_id,
        campaign_name,
        sourced_by,
        owner_id,
        owner_name,
        first_sales_touch_at,
        decided_at,
        is_accepted,
        is_rejected,
        reached_sql,
        reached_won
    from mql_facts
    where ($start is null or mql_at >= $start)
        and ($end is null or mql_at < $end)
        and ($segments is null or list_contains($segments, segment))
        and ($regions is null or list_contains($regions, region))
        and ($channels is null or list_contains($channels, channel))
        and ($teams is null or list_contains($teams, sourced_by))
        and ($owners is null or list_contains($owners, owner_id))
        and ($campaigns is null or list_contains($campaigns, source_campaign_id))
        and (not $unanswered_only or first_sales_touch_at is null)
)

select * exclude (mql_number) from final
order by mql_number
