-- attribution_journeys: every journey the attribution models read, built once so a query scans
-- only its window's journeys instead of ordering 5 million touches (attribution__touch_weights,
-- attribution__channel_transitions). One row per step of a journey, by journey_kind:
--   revenue   each touch of a won deal's journey (its lead's touches at or before closed_at);
--   pipeline  each touch of a deal's journey (its lead's touches at or before created_at);
--             a deal without such a touch is one row without a touch, every weight 1 (unattributed);
--   lost      each channel visit of a lost deal's journey (touches at or before closed_at), for Markov;
--   lead      each channel visit of a lead's touches (all of them; queries cut at their window end);
--             touch_number counts the lead's visits.
-- A visit is a run of touches of one channel in a row; it starts where previous_channel differs.
-- window_at places the journey in a window: the conversion point (revenue, pipeline), closed_at
-- (lost) or the lead's created_at (lead). The lead's filter columns ride along so no query joins
-- leads; deal rows also say whether the deal was marketing-influenced. Roles and weights follow attribution__touch_weights (see its header): they depend on the
-- deal's own touches only, so a journey's rows are the same whatever the window or filters.
create or replace table attribution_journeys as
with
-- deal_number: each deal's place in deal_id order, so queries can order journeys by a number.
deals as (
    select *, row_number() over (order by deal_id) as deal_number from deals
),

leads as (
    select * from leads
),

touches as (
    select * from touches
),

-- The lead's filter columns, carried by every row so no query joins leads.
lead_filters as (
    select
        l.lead_id,
        l.created_at as lead_created_at,
        l.segment as lead_segment,
        l.region as lead_region,
        l.channel as lead_channel,
        l.sourced_by as lead_sourced_by,
        l.owner_id as lead_owner_id,
        l.source_campaign_id as lead_source_campaign_id
    from leads as l
),

deal_journeys as (
    select
        k.journey_kind,
        d.deal_id,
        d.deal_number,
        d.lead_id,
        (d.amount * 100)::bigint as amount_cents,
        l.lead_created_at,
        d.created_at as deal_created_at,
        case k.journey_kind when 'pipeline' then d.created_at else d.closed_at end as converted_at,
        l.lead_segment,
        l.lead_region,
        l.lead_channel,
        l.lead_sourced_by,
        l.lead_owner_id,
        l.lead_source_campaign_id
    from deals as d
    join lead_filters as l using (lead_id)
    join (values ('revenue'), ('pipeline'), ('lost')) as k (journey_kind)
        on case k.journey_kind
            when 'revenue' then d.stage = 'won' and d.closed_at is not null
            when 'pipeline' then true
            else d.stage = 'lost' and d.closed_at is not null
        end
),

-- Each journey's touches in time order: the ordering runs on a narrow row (the order, the channel
-- before, whether it is the last), the rest of the touch joins back by touch_id.
journey_order as (
    select
        s.journey_kind,
        s.deal_number,
        t.touch_id,
        row_number() over journey as touch_number,
        lag(t.channel) over journey as previous_channel,
        lead(t.touch_id) over journey is null as is_journey_end
    from deal_journeys as s
    join touches as t on t.lead_id = s.lead_id and t.touched_at <= s.converted_at
    window journey as (partition by s.journey_kind, s.deal_number order by t.touched_at, t.touch_id)
),

journey_touches as (
    select
        s.journey_kind,
        s.deal_id,
        s.lead_created_at,
        s.deal_created_at,
        t.touch_id,
        t.touched_at,
        t.channel,
        t.campaign_id,
        t.team,
        t.kind,
        t.person_id,
        date_diff('microsecond', t.touched_at, s.converted_at) / 3600e6 as hours_before_conversion,
        o.touch_number,
        o.previous_channel,
        o.is_journey_end
    from journey_order as o
    join deal_journeys as s using (journey_kind, deal_number)
    join touches as t using (touch_id)
),

-- touch_key numbers every (channel, campaign_id, team) a touch can roll up to, in that order, so
-- the credit models group on numbers.
touch_keys as (
    select
        (row_number() over (order by channel, campaign_id nulls first, team) - 1)::integer as touch_key,
        channel,
        campaign_id,
        team
    from (select distinct channel, campaign_id, team from journey_touches)
),

-- Per deal: whether a marketing touch of its lead came before the deal was created (its pipeline
-- journey holds the touches at or before created_at), for attribution__sourced_influenced.
influenced_deals as (
    select deal_id, bool_or(team = 'marketing' and touched_at < deal_created_at) as is_marketing_influenced
    from journey_touches
    where journey_kind = 'pipeline'
    group by deal_id
),

-- Per journey: its length, how many touches came by lead and by deal creation (the positions of
-- the lead-creation and opportunity-creation touches), and its latest touch for the decay.
journey_shapes as (
    select
        journey_kind,
        deal_id,
        count(*) as touch_count,
        count(*) filter (where touched_at <= lead_created_at) as touches_to_lead,
        count(*) filter (where touched_at <= deal_created_at) as touches_to_opportunity,
        min(hours_before_conversion) as latest_hours_before_conversion
    from journey_touches
    where journey_kind <> 'lost'
    group by journey_kind, deal_id
),

key_positions as (
    select
        j.*,
        s.touch_count,
        s.latest_hours_before_conversion,
        greatest(s.touches_to_lead, 1) as lead_creation_number,
        greatest(s.touches_to_opportunity, s.touches_to_lead, 1) as opportunity_number,
        s.touch_count as closing_number
    from journey_touches as j
    join journey_shapes as s using (journey_kind, deal_id)
),

rest_counts as (
    -- How many touches each model's "rest" is shared by: those strictly between its first and
    -- last key touch that hold none of its roles.
    select
        *,
        greatest(lead_creation_number - 2, 0) as u_rest_count,
        greatest(opportunity_number - 2, 0)
            - (lead_creation_number between 2 and opportunity_number - 1)::int as w_rest_count,
        greatest(touch_count - 2, 0)
            - (lead_creation_number between 2 and touch_count - 1)::int
            - (opportunity_number between 2 and touch_count - 1
               and opportunity_number <> lead_creation_number)::int as full_rest_count,
        -- Halves every 7 days (168 h) before the conversion point; measured from the journey's latest
        -- touch so a years-old journey cannot underflow to zero.
        power(0.5, (hours_before_conversion - latest_hours_before_conversion) / 168.0) as decay
    from key_positions
),

-- Summed in touch order: a parallel sum's order, and so its last bit, would change from one build
-- of the same data to the next.
decay_totals as (
    select journey_kind, deal_id, sum(decay order by touch_number) as decay_total
    from rest_counts
    group by journey_kind, deal_id
),

weighted as (
    select
        *,
        touch_number = 1 as is_first,
        touch_number = lead_creation_number as is_lead_creation,
        touch_number = opportunity_number as is_opportunity_creation,
        touch_number = closing_number as is_closing,
        -- A role slot's weight, plus its equal part of the rest when no touch takes the rest.
        0.4 + case when u_rest_count = 0 then 0.2 / 2 else 0 end as u_slot,
        0.3 + case when w_rest_count = 0 then 0.1 / 3 else 0 end as w_slot,
        0.225 + case when full_rest_count = 0 then 0.1 / 4 else 0 end as full_slot
    from rest_counts
),

keyed as (
    select w.*, k.touch_key
    from weighted as w
    join touch_keys as k
        on k.channel = w.channel and k.campaign_id is not distinct from w.campaign_id and k.team = w.team
),

touch_rows as (
    select
        journey_kind,
        deal_id,
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
        touch_key,
        is_first,
        is_lead_creation,
        is_opportunity_creation,
        is_closing,
        is_first::double as first_touch_weight,
        is_closing::double as last_touch_weight,
        1.0 / touch_count as linear_weight,
        decay / decay_total as time_decay_weight,
        u_slot * (is_first::int + is_lead_creation::int)
            + case when touch_number > 1 and touch_number < lead_creation_number
                   then 0.2 / u_rest_count else 0 end as u_shaped_weight,
        w_slot * (is_first::int + is_lead_creation::int + is_opportunity_creation::int)
            + case when touch_number > 1 and touch_number < opportunity_number
                        and touch_number <> lead_creation_number
                   then 0.1 / w_rest_count else 0 end as w_shaped_weight,
        full_slot * (is_first::int + is_lead_creation::int + is_opportunity_creation::int + is_closing::int)
            + case when touch_number > 1 and touch_number < touch_count
                        and touch_number <> lead_creation_number and touch_number <> opportunity_number
                   then 0.1 / full_rest_count else 0 end as full_path_weight,
        previous_channel
    from keyed
    join decay_totals using (journey_kind, deal_id)
),

-- A lost deal's journey is for the Markov chain only: its visits and its last touch.
lost_rows as (
    select journey_kind, deal_id, touch_id, touch_number, touched_at, channel, previous_channel,
        is_journey_end as is_closing
    from journey_touches
    where journey_kind = 'lost' and (previous_channel is distinct from channel or is_journey_end)
),

unattributed_rows as (
    select
        s.journey_kind,
        s.deal_id,
        null::text as touch_id,
        0::bigint as touch_number,
        0::bigint as touch_count,
        null::timestamp as touched_at,
        null::double as hours_before_conversion,
        null::text as channel,
        null::text as campaign_id,
        null::text as team,
        null::text as kind,
        null::text as person_id,
        null::integer as touch_key,
        false as is_first,
        false as is_lead_creation,
        false as is_opportunity_creation,
        false as is_closing,
        1.0 as first_touch_weight,
        1.0 as last_touch_weight,
        1.0 as linear_weight,
        1.0 as time_decay_weight,
        1.0 as u_shaped_weight,
        1.0 as w_shaped_weight,
        1.0 as full_path_weight
    from deal_journeys as s
    anti join journey_shapes as j using (journey_kind, deal_id)
    where s.journey_kind <> 'lost'
),

final as (
    select
        d.journey_kind,
        d.deal_id,
        d.deal_number,
        d.lead_id,
        d.amount_cents,
        d.converted_at as window_at,
        r.* exclude (journey_kind, deal_id),
        d.lead_segment,
        d.lead_region,
        d.lead_channel,
        d.lead_sourced_by,
        d.lead_owner_id,
        d.lead_source_campaign_id,
        coalesce(i.is_marketing_influenced, false) as is_marketing_influenced,
        null::timestamp as lead_first_deal_at,
        null::timestamp as next_visit_at
    from deal_journeys as d
    join (
        select * from touch_rows
        union all by name select * from unattributed_rows
        union all by name select * from lost_rows
    ) as r using (journey_kind, deal_id)
    left join influenced_deals as i using (deal_id)
)

select * from final
order by journey_kind, window_at;

-- The lead journeys, appended in one block of their own (sorted by the lead's created_at): each
-- visit of a lead's touches with when the next visit starts. Cut at a window end, a lead's journey
-- keeps the visits that started before it and ends in the last of them.
insert into attribution_journeys by name
with
lead_touches as (
    select
        lead_id,
        touch_id,
        touched_at,
        channel,
        lag(channel) over (partition by lead_id order by touched_at, touch_id) as previous_channel
    from touches
),

lead_visits as (
    select
        lead_id,
        touched_at,
        channel,
        previous_channel,
        row_number() over visits as touch_number,
        lead(touched_at) over visits as next_visit_at
    from lead_touches
    where previous_channel is distinct from channel
    window visits as (partition by lead_id order by touched_at, touch_id)
),

final as (
    select
        'lead' as journey_kind,
        v.lead_id,
        l.created_at as window_at,
        v.touch_number,
        v.touched_at,
        v.channel,
        v.previous_channel,
        v.next_visit_at,
        l.segment as lead_segment,
        l.region as lead_region,
        l.channel as lead_channel,
        l.sourced_by as lead_sourced_by,
        l.owner_id as lead_owner_id,
        l.source_campaign_id as lead_source_campaign_id,
        m.opportunity_at as lead_first_deal_at
    from lead_visits as v
    join leads as l using (lead_id)
    join lead_milestones as m using (lead_id)
)

-- Sorted last, so the rows are written in window order in one parallel pass.
select * from final
order by window_at;
