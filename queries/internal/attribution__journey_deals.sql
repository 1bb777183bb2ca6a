-- attribution__journey_deals
-- One row per deal in the attribution scope (the deals of attribution__touch_weights), in deal_id
-- order: deal_id, deal_number (its place in that order), lead_id, amount_cents, converted_at and
-- touch_count (touches at or before the conversion point; 0 = unattributed). What the scope totals
-- and the receipt's deal picker read.
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
    select deal_id, deal_number, lead_id, amount_cents, window_at as converted_at, touch_count
    from scoped
    where touch_number <= 1
)

select * from final
order by deal_number
