-- attribution__journey_keys
-- One row per touch key of the attribution journeys: the channel, campaign_id (NULL: no campaign)
-- and team behind attribution__journey_touches' touch_key. The keys are numbered once for all
-- journeys when the database is written, so these names hold for every scope and filter.
with
-- The journeys built at import (derived attribution_journeys); lead and lost rows carry no key.
journeys as (
    select * from attribution_journeys
),

final as (
    -- Every row of a key names the same channel, campaign and team: any one of them will do.
    select
        touch_key,
        any_value(channel) as channel,
        any_value(campaign_id) as campaign_id,
        any_value(team) as team
    from journeys
    where touch_key is not null
    group by touch_key
)

select * from final
order by touch_key
