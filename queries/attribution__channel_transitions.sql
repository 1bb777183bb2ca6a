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
-- The journeys built at import (derived attribution_journeys): a scan of the window's rows.
journeys as (
    select * from attribution_journeys
),

scoped as (
    select *
    from journeys
    where ($segments is null or list_contains($segments, lead_segment))
        and ($regions is null or list_contains($regions, lead_region))
        and ($channels is null or list_contains($channels, lead_channel))
        and ($teams is null or list_contains($teams, lead_sourced_by))
        and ($owners is null or list_contains($owners, lead_owner_id))
        and ($campaigns is null or list_contains($campaigns, lead_source_campaign_id))
),

-- Converting journeys (deals without touches make no step) and, for revenue, lost deals.
deal_visits as (
    select
        journey_kind = $basis as is_converted,
        channel,
        previous_channel,
        is_closing as is_last
    from scoped
    where (journey_kind = $basis or ($basis = 'revenue' and journey_kind = 'lost'))
        and channel is not null
        and ($start is null or window_at >= $start)
        and ($end is null or window_at < $end)
),

-- Leads created in the window without a deal created before its end: their visits that started
-- before the window end; the last of them ends the journey.
lead_visits as (
    select
        false as is_converted,
        channel,
        previous_channel,
        next_visit_at is null or ($end is not null and next_visit_at >= $end::timestamp) as is_last
    from scoped
    where journey_kind = 'lead'
        and ($start is null or window_at >= $start)
        and ($end is null or window_at < $end)
        and (lead_first_deal_at is null or ($end is not null and lead_first_deal_at >= $end::timestamp))
        and ($end is null or touched_at < $end::timestamp)
),

visits as (
    select * from deal_visits
    union all
    select * from lead_visits
),

-- A repeat of the channel just before is the same visit, so it makes no step of its own.
steps as (
    select '(start)' as from_state, channel as to_state from visits where previous_channel is null
    union all
    select previous_channel, channel from visits where previous_channel <> channel
    union all
    select channel, case when is_converted then '(conversion)' else '(null)' end from visits where is_last
),

final as (
    select from_state, to_state, count(*) as journey_count
    from steps
    group by from_state, to_state
)

select * from final
order by from_state, to_state
