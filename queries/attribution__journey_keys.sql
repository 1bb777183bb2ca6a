-- attribution__journey_keys
-- One row per (channel, campaign_id, team) the touches of the attribution scope roll up to: the
-- names behind attribution__journey_touches' touch_key (numbered in that order, NULL campaign first).
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
        and ($segments is null or list_contains($segments, lead_segment))
        and ($regions is null or list_contains($regions, lead_region))
        and ($channels is null or list_contains($channels, lead_channel))
        and ($teams is null or list_contains($teams, lead_sourced_by))
        and ($owners is null or list_contains($owners, lead_owner_id))
        and ($campaigns is null or list_contains($campaigns, lead_source_campaign_id))
),

final as (
    select distinct touch_key, channel, campaign_id, team
    from scoped
    where touch_key is not null
)

select * from final
order by touch_key
