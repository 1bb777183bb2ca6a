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
deals as (
    select * from deals
),

leads as (
    select * from leads
),

touches as (
    select * from touches
),

converting_deals as (
    select
        d.deal_id,
        d.lead_id,
        (d.amount * 100)::bigint as amount_cents,
        l.created_at as lead_created_at,
        d.created_at as deal_created_at,
        case when $basis = 'pipeline' then d.created_at else d.closed_at end as converted_at
    from deals as d
    join leads as l using (lead_id)
    where ($basis = 'pipeline' or (d.stage = 'won' and d.closed_at is not null))
        and ($deal_id is null or d.deal_id = $deal_id)
        and ($segments is null or list_contains($segments, l.segment))
        and ($regions is null or list_contains($regions, l.region))
        and ($channels is null or list_contains($channels, l.channel))
        and ($teams is null or list_contains($teams, l.sourced_by))
        and ($owners is null or list_contains($owners, l.owner_id))
        and ($campaigns is null or list_contains($campaigns, l.source_campaign_id))
),

scoped_deals as (
    select *
    from converting_deals
    where ($start is null or converted_at >= $start)
        and ($end is null or converted_at < $end)
),

journey_touches as (
    select
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
        date_diff('second', t.touched_at, s.converted_at) / 3600.0 as hours_before_conversion,
        row_number() over (partition by s.deal_id order by t.touched_at, t.touch_id) as touch_number
    from scoped_deals as s
    join touches as t on t.lead_id = s.lead_id and t.touched_at <= s.converted_at
),

-- Per journey: its length, how many touches came by lead and by deal creation (the positions of
-- the lead-creation and opportunity-creation touches), and its latest touch for the decay.
journey_shapes as (
    select
        deal_id,
        count(*) as touch_count,
        count(*) filter (where touched_at <= lead_created_at) as touches_to_lead,
        count(*) filter (where touched_at <= deal_created_at) as touches_to_opportunity,
        min(hours_before_conversion) as latest_hours_before_conversion
    from journey_touches
    group by deal_id
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
    join journey_shapes as s using (deal_id)
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

decay_totals as (
    select deal_id, sum(decay) as decay_total from rest_counts group by deal_id
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

touch_rows as (
    select
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
                   then 0.1 / full_rest_count else 0 end as full_path_weight
    from weighted
    join decay_totals using (deal_id)
),

unattributed_rows as (
    select
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
    from scoped_deals as s
    anti join journey_shapes as j using (deal_id)
),

final as (
    select
        s.deal_id,
        s.lead_id,
        s.amount_cents,
        s.converted_at,
        r.touch_id,
        r.touch_number,
        r.touch_count,
        r.touched_at,
        r.hours_before_conversion,
        r.channel,
        r.campaign_id,
        r.team,
        r.kind,
        r.person_id,
        r.is_first,
        r.is_lead_creation,
        r.is_opportunity_creation,
        r.is_closing,
        r.first_touch_weight,
        r.last_touch_weight,
        r.linear_weight,
        r.time_decay_weight,
        r.u_shaped_weight,
        r.w_shaped_weight,
        r.full_path_weight
    from scoped_deals as s
    join (select * from touch_rows union all by name select * from unattributed_rows) as r using (deal_id)
)

select * from final
order by deal_id, touch_number
