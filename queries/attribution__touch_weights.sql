-- attribution__touch_weights
-- One row per touch of each converting journey in scope, with its roles and its weight (0–1, the
-- weights of a deal sum to 1) under each rule-based attribution model. A journey is the touches of
-- a deal's lead at or before its conversion point: deals.closed_at of won deals closed in the window
-- (basis revenue) or deals.created_at of deals created in the window (basis pipeline). A deal with
-- no such touch is one row without a touch, every weight 1: it goes to the `unattributed` key.
-- Key touches (each the last touch at or before the moment, or the first touch if none is): first;
-- lead-creation (leads.created_at); opportunity-creation (deals.created_at); closing (the journey's
-- last touch). U-shaped ends at the lead-creation touch, W-shaped at the opportunity-creation touch:
-- touches after a model's last key touch get nothing from it. A touch holding several roles gets the
-- weight of each; a model's "rest" goes to the touches strictly between its first and last key touch
-- that hold none of its roles, or, if there are none, in equal parts to its role slots.
-- $basis      text in (revenue, pipeline) = revenue   revenue: won deals by closed_at; pipeline: deals by created_at
-- $start      date = null                   window start, inclusive; NULL = no lower bound
-- $end        date = null                   window end, exclusive; NULL = no upper bound
-- $segments   text[] = null                 lead segments to keep; NULL = all
-- $regions    text[] = null                 lead regions to keep; NULL = all
-- $channels   text[] = null                 original source channels to keep; NULL = all
-- $teams      text[] = null                 who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null                 lead owner person_ids; NULL = all
-- $campaigns  text[] = null                 source campaign_ids; NULL = all
-- $deal_id    text = null                   only this deal (still within the scope above); NULL = all
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
        and ($deal_id is null or deal_id = $deal_id)
        and
            -- @include journey_lead_filters
),

final as (
    select
        deal_id,
        lead_id,
        amount_cents,
        window_at as converted_at,
        touch_id,
        touch_number,
        touch_count,
        touched_at,
        hours_before_conversion,
        channel,
        campaign_id,
        team,
        kind,
        person_id,
        is_first,
        is_lead_creation,
        is_opportunity_creation,
        is_closing,
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
order by deal_id, touch_number
