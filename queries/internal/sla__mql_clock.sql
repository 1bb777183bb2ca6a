-- sla__mql_clock
-- One row per MQL in the window, in mql_at order (then lead_id): only what the SLA clock judges
-- (mql_at, score, region, first sales touch, decision, reached SQL/Won) and no other text, so an
-- evaluation of a quarter does not pay for names it never shows. The rows are those of sla__mqls,
-- in the same order; sla__mql_labels gives their text.
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
        mql_at,
        score,
        region,
        first_sales_touch_at,
        decided_at,
        is_accepted,
        is_rejected,
        reached_sql,
        reached_won
    from window_mqls
)

select * from final
