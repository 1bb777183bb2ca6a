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
deals as (
    select * from deals
),

leads as (
    select * from leads
),

touches as (
    select * from touches
),

scoped_leads as (
    select *
    from leads as l
    where ($segments is null or list_contains($segments, l.segment))
        and ($regions is null or list_contains($regions, l.region))
        and ($channels is null or list_contains($channels, l.channel))
        and ($teams is null or list_contains($teams, l.sourced_by))
        and ($owners is null or list_contains($owners, l.owner_id))
        and ($campaigns is null or list_contains($campaigns, l.source_campaign_id))
),

converting as (
    select
        d.deal_id as journey_id,
        d.lead_id,
        case when $basis = 'pipeline' then d.created_at else d.closed_at end as ended_at,
        true as is_converted,
        true as includes_end
    from deals as d
    join scoped_leads as l using (lead_id)
    where ($basis = 'pipeline' or (d.stage = 'won' and d.closed_at is not null))
),

lost_deals as (
    select d.deal_id as journey_id, d.lead_id, d.closed_at as ended_at, false as is_converted,
        true as includes_end
    from deals as d
    join scoped_leads as l using (lead_id)
    where $basis = 'revenue' and d.stage = 'lost'
        and ($start is null or d.closed_at >= $start)
        and ($end is null or d.closed_at < $end)
),

leads_without_deal as (
    select
        'lead:' || l.lead_id as journey_id,
        l.lead_id,
        coalesce($end::timestamp, 'infinity'::timestamp) as ended_at,
        false as is_converted,
        false as includes_end
    from scoped_leads as l
    where ($start is null or l.created_at >= $start)
        and ($end is null or l.created_at < $end)
        and not exists (
            select 1 from deals as d
            where d.lead_id = l.lead_id and ($end is null or d.created_at < $end)
        )
),

journeys as (
    select * from converting
    where ($start is null or ended_at >= $start) and ($end is null or ended_at < $end)
    union all
    select * from lost_deals
    union all
    select * from leads_without_deal
),

-- One pass over each journey's touches in time order: the channel before and whether it is the last.
visits as (
    select
        j.is_converted,
        t.channel,
        lag(t.channel) over journey as previous_channel,
        lead(t.touch_id) over journey is null as is_last
    from journeys as j
    join touches as t
        on t.lead_id = j.lead_id
        and (t.touched_at < j.ended_at or (j.includes_end and t.touched_at = j.ended_at))
    window journey as (partition by j.journey_id order by t.touched_at, t.touch_id)
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
