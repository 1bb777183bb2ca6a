-- attribution__journey_touches
-- The rows of attribution__touch_weights (same scope, same order: deal_id, then touch_number) with
-- only what the credit models read, as numbers: deal_number (the deal's place in deal_id order),
-- touch_number, amount_cents, touch_key (the touch's channel, campaign and team, named by
-- attribution__journey_keys; NULL = no touch: unattributed) and the seven rule-based weights.
-- $basis      text in (revenue, pipeline) = revenue   revenue: won deals by closed_at; pipeline: deals by created_at
-- $start      date = null                   window start, inclusive; NULL = no lower bound
-- $end        date = null                   window end, exclusive; NULL = no upper bound
-- $segments   text[] = null                 lead segments to keep; NULL = all
-- $regions    text[] = null                 lead regions to keep; NULL = all
-- $channels   text[] = null                 original source channels to keep; NULL = all
-- $teams      text[] = null                 who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null                 lead owner person_ids; NULL = all
-- $campaigns  text[] = null                 source campaign_ids; NULL = all
with
-- The journeys built at import (derived attribution_journeys): a scan of the window's rows.
journeys as (
    select * from attribution_journeys
),

scoped as (
    select *
    from journeys
    where journey_kind = $basis
        and ($start is null or window_at >= $start)
        and ($end is null or window_at < $end)
        and
            -- @include journey_lead_filters
),

final as (
    select
        deal_number,
        touch_number,
        amount_cents,
        touch_key,
        first_touch_weight,
        last_touch_weight,
        linear_weight,
        time_decay_weight,
        u_shaped_weight,
        w_shaped_weight,
        full_path_weight
    from scoped
)

select * from final
order by deal_number, touch_number
