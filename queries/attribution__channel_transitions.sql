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

-- The rows of the scope's journeys, each with whether its journey converts and whether it ends it:
-- converting journeys (deals without touches make no step) and, for revenue, lost deals end at
-- their last touch; a lead created in the window without a deal created before the window end
-- keeps the visits that started before the window end, and the last of them ends it.
visits as (
    select
        journey_kind = $basis as is_converted,
        channel,
        previous_channel,
        case
            when journey_kind = 'lead'
                then next_visit_at is null or ($end is not null and next_visit_at >= $end::timestamp)
            else is_closing
        end as is_last
    from journeys
    where ($start is null or window_at >= $start)
        and ($end is null or window_at < $end)
        and (
            ((journey_kind = $basis or ($basis = 'revenue' and journey_kind = 'lost')) and channel is not null)
            or (journey_kind = 'lead'
                and (lead_first_deal_at is null or ($end is not null and lead_first_deal_at >= $end::timestamp))
                and ($end is null or touched_at < $end::timestamp))
        )
        and ($segments is null or list_contains($segments, lead_segment))
        and ($regions is null or list_contains($regions, lead_region))
        and ($channels is null or list_contains($channels, lead_channel))
        and ($teams is null or list_contains($teams, lead_sourced_by))
        and ($owners is null or list_contains($owners, lead_owner_id))
        and ($campaigns is null or list_contains($campaigns, lead_source_campaign_id))
),

-- Rows that make a step, counted by kind first (a few hundred kinds instead of every row).
step_kinds as (
    select is_converted, channel, previous_channel, is_last, count(*) as journey_count
    from visits
    where previous_channel is distinct from channel or is_last
    group by all
),

-- A new visit steps in from the channel before (or the start); a repeat of the channel just before
-- is the same visit, so it makes no step of its own. The last row steps out to the journey's end.
steps as (
    select coalesce(previous_channel, '(start)') as from_state, channel as to_state, journey_count
    from step_kinds
    where previous_channel is distinct from channel
    union all
    select channel, case when is_converted then '(conversion)' else '(null)' end, journey_count
    from step_kinds
    where is_last
),

final as (
    select from_state, to_state, sum(journey_count)::bigint as journey_count
    from steps
    group by from_state, to_state
)

select * from final
order by from_state, to_state
