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
-- @include window_mqls

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
    from window_mqls
    where not $unanswered_only or first_sales_touch_at is null
)

select * exclude (mql_number) from final
order by mql_number
