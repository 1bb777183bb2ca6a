-- sla__mql_lead_owners
-- One row per MQL in the window, the rows of sla__mql_clock in the same order (mql_number): the text
-- the breach list shows of an MQL, its lead_id, segment, owner_id and owner_name, read in one pass
-- (sla__mql_labels reads one pair of these per pass).
-- $start      date = null     window start on mql_at (inclusive)
-- $end        date = null     window end on mql_at (exclusive)
-- $segments   text[] = null   lead segments; NULL = all
-- $regions    text[] = null   lead regions; NULL = all
-- $channels   text[] = null   lead source channels; NULL = all
-- $teams      text[] = null   who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null   lead owners (person_id); NULL = all
-- $campaigns  text[] = null   source campaigns; NULL = all
-- $policies   text = null     the policy text every sla__* query takes; these rows do not depend on it
with
-- Judging happens in handoff.sla: the rows are the same whatever the policies say.
policy_text as (
    select $policies as policies
),

-- @include window_mqls

final as (
    select
        mql_number,
        lead_id,
        segment,
        owner_id,
        owner_name
    from window_mqls
)

select * from final
