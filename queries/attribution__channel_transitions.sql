-- attribution__channel_transitions
-- One row per (from state, to state) of the first-order Markov chain over channels: how many
-- journeys made that step. States are channels plus `(start)`, `(conversion)` and `(null)`; repeats
-- of a channel in a row are one visit (a self-loop does not change where a journey ends up).
-- Converting journeys are those of attribution__touch_weights (deals in scope, touches at or before
-- the conversion point; deals without touches are left out). Non-converting journeys: leads created
-- in the window without a deal created before the window end (their touches before the window end)
-- and, for revenue, deals closed lost in the window (their touches at or before closed_at).
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
-- The journeys built at import (derived attribution_journeys). Not materialized: the deal and the
-- lead journeys below each scan only their own window's rows of it.
journeys as not materialized (
    select * from attribution_journeys
),

-- Converting journeys (deals without touches make no step) and, for revenue, lost deals, counted by
-- kind of row (a few hundred kinds instead of every row): a row whose channel differs from the one
-- before starts a visit (a step in from that channel, or from the start); a repeat of the channel
-- just before is the same visit. A deal's journey ends at its last touch.
deal_step_kinds as (
    select
        journey_kind = $basis as is_converted,
        channel,
        previous_channel,
        count(*) filter (where previous_channel is distinct from channel) as entering_count,
        count(*) filter (where is_closing) as ending_count
    from journeys
    where (journey_kind = $basis or ($basis = 'revenue' and journey_kind = 'lost'))
        and channel is not null
        and ($start is null or window_at >= $start)
        and ($end is null or window_at < $end)
        and
            -- @include journey_lead_filters
    group by all
),

-- A lead created in the window without a deal created before the window end: its rows are visits
-- already; it keeps those that started before the window end, and the last of them ends it.
lead_step_kinds as (
    select
        channel,
        previous_channel,
        count(*) as entering_count,
        count(*) filter (
            where next_visit_at is null or ($end is not null and next_visit_at >= $end::timestamp)
        ) as ending_count
    from journeys
    where journey_kind = 'lead'
        and (lead_first_deal_at is null or ($end is not null and lead_first_deal_at >= $end::timestamp))
        and ($end is null or touched_at < $end::timestamp)
        and ($start is null or window_at >= $start)
        and ($end is null or window_at < $end)
        and
            -- @include journey_lead_filters
    group by all
),

-- Each visit steps in from the channel before (or the start); each journey's last visit steps out
-- to its end: conversion or null.
steps as (
    select
        coalesce(previous_channel, '(start)') as from_state,
        channel as to_state,
        entering_count as journey_count
    from deal_step_kinds
    where entering_count > 0
    union all
    select channel, case when is_converted then '(conversion)' else '(null)' end, ending_count
    from deal_step_kinds
    where ending_count > 0
    union all
    select coalesce(previous_channel, '(start)'), channel, entering_count
    from lead_step_kinds
    where previous_channel is distinct from channel
    union all
    select channel, '(null)', ending_count
    from lead_step_kinds
    where ending_count > 0
),

final as (
    select from_state, to_state, sum(journey_count)::bigint as journey_count
    from steps
    group by from_state, to_state
)

select * from final
order by from_state, to_state
