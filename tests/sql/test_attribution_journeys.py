"""The derived attribution_journeys table gives the same touch weights, Markov transitions and
sourced/influenced figures as the queries computed straight from leads, deals and touches before it
existed (their SQL is kept here),
on the demo company across filter sets, and on journeys with ties, repeats and no touches."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from handoff import db
from tests.fixtures import ts

D = dt.date
SCOPE = ("basis", "start", "end", "segments", "regions", "channels", "teams", "owners", "campaigns")
FILTER_SETS = [
    {"basis": "revenue", "start": D(2026, 4, 1), "end": D(2026, 7, 1)},
    {"basis": "pipeline", "start": D(2026, 4, 1), "end": D(2026, 7, 1)},
    {"basis": "revenue", "start": D(2025, 7, 1), "end": D(2026, 7, 1), "segments": ["enterprise", "mid_market"]},
    {"basis": "pipeline", "start": D(2025, 1, 1), "end": D(2026, 1, 1), "teams": ["sales"]},
    {"basis": "revenue", "start": None, "end": None},
    {"basis": "pipeline", "start": None, "end": D(2025, 10, 1), "channels": ["paid_search", "webinar"]},
    {"basis": "revenue", "start": D(2026, 1, 1), "end": None, "regions": ["NA"]},
]

# The SQL of attribution__touch_weights before attribution_journeys (deals, leads and touches directly).
TOUCH_WEIGHTS_BEFORE = """
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
        date_diff('microsecond', t.touched_at, s.converted_at) / 3600e6 as hours_before_conversion,
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
"""

# The SQL of attribution__channel_transitions before attribution_journeys.
CHANNEL_TRANSITIONS_BEFORE = """
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
"""

# The SQL of attribution__sourced_influenced before attribution_journeys.
SOURCED_INFLUENCED_BEFORE = """
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

scoped_deals as (
    select
        d.deal_id,
        d.amount,
        l.sourced_by,
        exists (
            select 1 from touches as t
            where t.lead_id = d.lead_id and t.team = 'marketing' and t.touched_at < d.created_at
        ) as is_marketing_influenced,
        case when $basis = 'pipeline' then d.created_at else d.closed_at end as counted_at
    from deals as d
    join leads as l using (lead_id)
    where ($basis = 'pipeline' or (d.stage = 'won' and d.closed_at is not null))
        and ($segments is null or list_contains($segments, l.segment))
        and ($regions is null or list_contains($regions, l.region))
        and ($channels is null or list_contains($channels, l.channel))
        and ($teams is null or list_contains($teams, l.sourced_by))
        and ($owners is null or list_contains($owners, l.owner_id))
        and ($campaigns is null or list_contains($campaigns, l.source_campaign_id))
),

windowed as (
    select * from scoped_deals
    where ($start is null or counted_at >= $start) and ($end is null or counted_at < $end)
),

measures as (
    select * from (values
        (1, 'marketing_sourced', 'marketing', 'sourced'),
        (2, 'sales_sourced', 'sales', 'sourced'),
        (3, 'total', null, 'total'),
        (4, 'marketing_influenced', 'marketing', 'influenced'),
        (5, 'influenced_sales_sourced', 'sales', 'influenced')
    ) as m (measure_order, measure, team, measure_group)
),

counted as (
    select
        m.measure_order,
        m.measure,
        m.team,
        m.measure_group,
        count(w.deal_id) as deal_count,
        coalesce(sum(w.amount), 0)::double as amount_usd
    from measures as m
    left join windowed as w
        on case m.measure
            when 'marketing_sourced' then w.sourced_by = 'marketing'
            when 'sales_sourced' then w.sourced_by = 'sales'
            when 'total' then true
            when 'marketing_influenced' then w.is_marketing_influenced
            when 'influenced_sales_sourced' then w.is_marketing_influenced and w.sourced_by = 'sales'
        end
    group by all
),

final as (
    select
        measure,
        measure_order,
        measure_group,
        team,
        deal_count,
        amount_usd,
        amount_usd / nullif(sum(amount_usd) filter (where measure = 'total') over (), 0) as share_rate
    from counted
)

select * from final
order by measure_order
"""

# The leakage queries before they read the lead's columns from lead_milestones (they joined leads).
MQL_SQL_LOSS_BEFORE = """
with
leads as (
    select * from leads
),

milestones as (
    select * from lead_milestones
),

reasons as (
    select * from (values
        (1, 'not_a_fit', 'Rejected: not a fit', 'marketing'),
        (2, 'data_or_routing', 'Rejected: data or routing', 'shared'),
        (3, 'other_rejection', 'Rejected: other reason', 'shared'),
        (4, 'not_worked_in_sla', 'Not worked within the SLA', 'sales'),
        (5, 'disqualified_after_contact', 'Disqualified after contact', 'shared'),
        (6, 'still_open', 'Still open', 'shared')
    ) as r (reason_order, loss_reason, label, lever)
),

as_of as (
    select coalesce(
        (select try_cast(value as date) from handoff_meta where key = 'as_of'),
        (select max(created_at)::date from leads)
    ) + 1 as as_of_end
),

mqls as (
    select
        l.lead_id,
        l.sal_at,
        l.disqualified_at,
        l.disqualify_reason,
        m.reached_sql,
        m.first_sales_touch_at,
        l.mql_at + to_microseconds(
            (case when coalesce(l.score, 0) >= $priority_score then $priority_sla_hours else $sla_hours end
             * 3600e6)::bigint
        ) as follow_up_due_at
    from leads as l
    join milestones as m using (lead_id)
    where l.mql_at is not null
        and ($start is null or l.mql_at >= $start)
        and ($end is null or l.mql_at < $end)
        and ($segments is null or list_contains($segments, l.segment))
        and ($regions is null or list_contains($regions, l.region))
        and ($channels is null or list_contains($channels, l.channel))
        and ($teams is null or list_contains($teams, l.sourced_by))
        and ($owners is null or list_contains($owners, l.owner_id))
        and ($campaigns is null or list_contains($campaigns, l.source_campaign_id))
),

classified as (
    select
        case
            when reached_sql then null
            when sal_at is null and disqualified_at is not null then
                case
                    when disqualify_reason in ('not_a_fit', 'no_budget') then 'not_a_fit'
                    when disqualify_reason in ('bad_contact_data', 'duplicate', 'wrong_territory') then 'data_or_routing'
                    else 'other_rejection'
                end
            when sal_at is not null and disqualified_at is not null then 'disqualified_after_contact'
            when sal_at is null
                and (first_sales_touch_at > follow_up_due_at
                     or (first_sales_touch_at is null and follow_up_due_at < (select as_of_end from as_of)))
                then 'not_worked_in_sla'
            else 'still_open'
        end as loss_reason
    from mqls
),

final as (
    select
        r.loss_reason,
        r.reason_order,
        r.label,
        r.lever,
        count(c.loss_reason) as lead_count,
        count(c.loss_reason) / nullif((select count(*) from classified where loss_reason is not null), 0)
            as lost_share_rate,
        count(c.loss_reason) / nullif((select count(*) from classified), 0) as mql_rate
    from reasons as r
    left join classified as c using (loss_reason)
    group by all
)

select * from final
order by reason_order
"""

CONVERSION_SHIFT_SHARE_BEFORE = """
with
leads as (
    select * from leads
),

milestones as (
    select * from lead_milestones
),

bands as (
    select * from (values
        (1, '80–100', 80, 100),
        (2, '60–79', 60, 79),
        (3, '40–59', 40, 59),
        (4, '0–39', 0, 39),
        (5, 'unscored', null, null)
    ) as b (band_order, band, min_score, max_score)
),

as_of as (
    select coalesce(
        (select try_cast(value as date) from handoff_meta where key = 'as_of'),
        (select max(created_at)::date from leads)
    ) + 1 as as_of_end
),

periods as (
    select
        'current' as period,
        $start::timestamp as starts_at,
        $end::timestamp as ends_at
    union all
    select
        'previous',
        coalesce($previous_start::timestamp, $start::timestamp - ($end::timestamp - $start::timestamp)),
        coalesce($previous_end, $start)::timestamp
),

-- How long after its window the current cohort has been watched; the previous one gets the same.
horizon as (
    select case
        when a.as_of_end::timestamp > $end::timestamp then a.as_of_end::timestamp - $end::timestamp
        else interval 0 day
    end as watched
    from as_of as a
),

cohorts as (
    select
        p.period,
        case
            when l.score is null then 5
            when l.score >= 80 then 1
            when l.score >= 60 then 2
            when l.score >= 40 then 3
            else 4
        end as band_order,
        m.won_at is not null and m.won_at < p.ends_at + h.watched as is_won
    from leads as l
    join milestones as m using (lead_id)
    cross join periods as p
    cross join horizon as h
    where $start is not null and $end is not null
        and l.mql_at >= p.starts_at and l.mql_at < p.ends_at
        and ($segments is null or list_contains($segments, l.segment))
        and ($regions is null or list_contains($regions, l.region))
        and ($channels is null or list_contains($channels, l.channel))
        and ($teams is null or list_contains($teams, l.sourced_by))
        and ($owners is null or list_contains($owners, l.owner_id))
        and ($campaigns is null or list_contains($campaigns, l.source_campaign_id))
),

counts as (
    select
        b.band_order,
        b.band,
        count(*) filter (where c.period = 'previous') as previous_mql_count,
        count(*) filter (where c.period = 'previous' and c.is_won) as previous_won_count,
        count(*) filter (where c.period = 'current') as current_mql_count,
        count(*) filter (where c.period = 'current' and c.is_won) as current_won_count
    from bands as b
    left join cohorts as c using (band_order)
    group by all
),

rates as (
    select
        *,
        coalesce(previous_mql_count / nullif(sum(previous_mql_count) over (), 0), 0) as previous_share_rate,
        coalesce(current_mql_count / nullif(sum(current_mql_count) over (), 0), 0) as current_share_rate,
        -- An empty band converts at 0: its share is 0 too, so Σ share × rate stays the total rate.
        coalesce(previous_won_count / nullif(previous_mql_count, 0), 0) as previous_won_rate,
        coalesce(current_won_count / nullif(current_mql_count, 0), 0) as current_won_rate
    from counts
),

final as (
    select
        band,
        band_order,
        previous_mql_count,
        previous_won_count,
        current_mql_count,
        current_won_count,
        previous_share_rate,
        current_share_rate,
        previous_won_rate,
        current_won_rate,
        (current_share_rate - previous_share_rate) * previous_won_rate as mix_effect_rate,
        previous_share_rate * (current_won_rate - previous_won_rate) as rate_effect_rate,
        (current_share_rate - previous_share_rate) * (current_won_rate - previous_won_rate)
            as interaction_effect_rate
    from rates
)

select * from final
order by band_order
"""

QUALITY_SPEED_GRID_BEFORE = """
with
leads as (
    select * from leads
),

milestones as (
    select * from lead_milestones
),

bands as (
    select * from (values
        (1, '80–100'), (2, '60–79'), (3, '40–59'), (4, '0–39'), (5, 'unscored')
    ) as b (band_order, band)
),

speeds as (
    select * from (values
        (1, '< 1 h', 0.0, 1.0),
        (2, '1–4 h', 1.0, 4.0),
        (3, '4–24 h', 4.0, 24.0),
        (4, '1–3 d', 24.0, 72.0),
        (5, '> 3 d', 72.0, null),
        (6, 'no follow-up', null, null)
    ) as s (speed_order, speed, min_hours, max_hours)
),

mqls as (
    select
        case
            when l.score is null then 5
            when l.score >= 80 then 1
            when l.score >= 60 then 2
            when l.score >= 40 then 3
            else 4
        end as band_order,
        case
            when m.speed_to_lead_hours is null then 6
            when m.speed_to_lead_hours < 1 then 1
            when m.speed_to_lead_hours < 4 then 2
            when m.speed_to_lead_hours < 24 then 3
            when m.speed_to_lead_hours < 72 then 4
            else 5
        end as speed_order,
        m.reached_sql,
        m.reached_won
    from leads as l
    join milestones as m using (lead_id)
    where l.mql_at is not null
        and ($start is null or l.mql_at >= $start)
        and ($end is null or l.mql_at < $end)
        and ($segments is null or list_contains($segments, l.segment))
        and ($regions is null or list_contains($regions, l.region))
        and ($channels is null or list_contains($channels, l.channel))
        and ($teams is null or list_contains($teams, l.sourced_by))
        and ($owners is null or list_contains($owners, l.owner_id))
        and ($campaigns is null or list_contains($campaigns, l.source_campaign_id))
),

final as (
    select
        b.band,
        b.band_order,
        s.speed,
        s.speed_order,
        count(q.band_order) as mql_count,
        count(q.band_order) filter (where q.reached_sql) as sql_count,
        count(q.band_order) filter (where q.reached_won) as won_count,
        count(q.band_order) filter (where q.reached_sql) / nullif(count(q.band_order), 0) as sql_rate,
        count(q.band_order) filter (where q.reached_won) / nullif(count(q.band_order), 0) as won_rate,
        count(q.band_order) < 30 as is_thin
    from bands as b
    cross join speeds as s
    left join mqls as q on q.band_order = b.band_order and q.speed_order = s.speed_order
    group by all
)

select * from final
order by band_order, speed_order
"""


def before(sql: str, path, params: dict) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params).df()


def params_for(case: dict, *extra: str) -> dict:
    return {name: case.get(name) for name in (*SCOPE, *extra)}


def assert_same(now: pd.DataFrame, then: pd.DataFrame) -> None:
    assert list(now.columns) == list(then.columns)
    assert len(now) == len(then)
    pd.testing.assert_frame_equal(now.reset_index(drop=True), then.reset_index(drop=True),
                                  check_exact=False, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", FILTER_SETS, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_touch_weights_from_journeys_match_the_direct_computation(demo_db, case):
    now = db.run_query("attribution__touch_weights", db=demo_db, **params_for(case))
    then = before(TOUCH_WEIGHTS_BEFORE, demo_db, params_for(case, "deal_id"))
    assert len(now) > 0 or case["basis"] == "revenue"
    assert_same(now, then)


@pytest.mark.parametrize("case", FILTER_SETS, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_channel_transitions_from_journeys_match_the_direct_computation(demo_db, case):
    now = db.run_query("attribution__channel_transitions", db=demo_db, **params_for(case))
    then = before(CHANNEL_TRANSITIONS_BEFORE, demo_db, params_for(case))
    assert now["journey_count"].sum() > 0
    assert_same(now, then)


@pytest.mark.parametrize("case", FILTER_SETS, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_sourced_influenced_from_journeys_match_the_direct_computation(demo_db, case):
    now = db.run_query("attribution__sourced_influenced", db=demo_db, **params_for(case))
    then = before(SOURCED_INFLUENCED_BEFORE, demo_db, params_for(case))
    assert now.loc[now["measure"] == "total", "deal_count"].iloc[0] > 0
    assert_same(now, then)


LEAKAGE_SETS = [
    {"start": D(2026, 4, 1), "end": D(2026, 7, 1)},
    {"start": D(2025, 7, 1), "end": D(2026, 7, 1), "segments": ["enterprise"], "teams": ["sales"]},
    {"start": D(2026, 1, 1), "end": D(2026, 4, 1), "previous_start": D(2025, 1, 1), "previous_end": D(2025, 4, 1),
     "channels": ["paid_search", "webinar"], "regions": ["NA"]},
    {"start": None, "end": None},
]


@pytest.mark.parametrize("case", LEAKAGE_SETS, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_leakage_queries_from_lead_milestones_match_the_join_with_leads(demo_db, case):
    for name, sql in (("attribution__mql_sql_loss", MQL_SQL_LOSS_BEFORE),
                      ("attribution__conversion_shift_share", CONVERSION_SHIFT_SHARE_BEFORE),
                      ("attribution__quality_speed_grid", QUALITY_SPEED_GRID_BEFORE)):
        spec = db.load_query(name)
        own = {k: v for k, v in case.items() if k in spec.params}
        now = db.run_query(name, db=demo_db, **own)
        bound = db.bind_params(spec, own)
        pd.testing.assert_frame_equal(now, before(sql, demo_db, bound), check_exact=True)


def test_one_deal_from_journeys_matches(demo_db):
    deal_id = db.run_query("attribution__deals", db=demo_db, basis="revenue")["deal_id"].iloc[0]
    now = db.run_query("attribution__touch_weights", db=demo_db, basis="revenue", deal_id=deal_id)
    then = before(TOUCH_WEIGHTS_BEFORE, demo_db, {**params_for({"basis": "revenue"}), "deal_id": deal_id})
    assert len(now) > 1
    assert_same(now, then)


def test_ties_repeats_and_bare_deals_match(make_db):
    """Touches at the same moment (ordered by id), a channel repeated in a row, a touch exactly at the
    conversion point and at the window end, deals with no touch, a lost deal and a lead with a later deal."""
    leads = [{"lead_id": f"L{i}", "created_at": ts("2026-01-05 09:00"), "channel": "webinar", "sourced_by": "marketing",
              "segment": "smb", "region": "NA"} for i in range(5)]
    leads.append({"lead_id": "L5", "created_at": ts("2026-02-27 09:00"), "channel": "email", "sourced_by": "sales",
                  "segment": "smb", "region": "EU"})

    def touch(touch_id, lead_id, channel, when):
        return {"touch_id": touch_id, "lead_id": lead_id, "channel": channel, "kind": "visit", "touched_at": ts(when),
                "team": "sales" if channel == "direct_sales" else "marketing"}

    touches = [
        touch("T0-b", "L0", "email", "2026-01-02 10:00"), touch("T0-a", "L0", "webinar", "2026-01-02 10:00"),
        touch("T0-c", "L0", "webinar", "2026-01-06 10:00"), touch("T0-d", "L0", "webinar", "2026-01-07 10:00"),
        touch("T0-e", "L0", "email", "2026-02-10 00:00"), touch("T0-f", "L0", "email", "2026-02-12 00:00"),
        touch("T1-a", "L1", "paid_search", "2026-01-06 10:00"), touch("T1-b", "L1", "paid_search", "2026-01-08 10:00"),
        touch("T3-a", "L3", "direct_sales", "2026-01-09 10:00"), touch("T3-b", "L3", "email", "2026-01-10 10:00"),
        touch("T3-c", "L3", "email", "2026-01-11 10:00"),
        touch("T4-a", "L4", "webinar", "2026-02-01 00:00"), touch("T4-b", "L4", "email", "2026-03-01 00:00"),
        touch("T5-a", "L5", "email", "2026-02-28 10:00"), touch("T5-b", "L5", "email", "2026-03-02 10:00"),
    ]
    deals = [
        {"deal_id": "D0", "lead_id": "L0", "created_at": ts("2026-01-07 10:00"), "closed_at": ts("2026-02-10 00:00"),
         "stage": "won", "amount": 1000},
        {"deal_id": "D1", "lead_id": "L1", "created_at": ts("2026-01-09 10:00"), "closed_at": ts("2026-01-20 10:00"),
         "stage": "lost", "amount": 300},
        {"deal_id": "D2", "lead_id": "L2", "created_at": ts("2026-01-09 10:00"), "closed_at": ts("2026-02-03 10:00"),
         "stage": "won", "amount": 50},
        {"deal_id": "D3", "lead_id": "L3", "created_at": ts("2026-01-08 10:00"), "closed_at": ts("2026-02-11 10:00"),
         "stage": "won", "amount": 0},
        {"deal_id": "D4", "lead_id": "L4", "created_at": ts("2026-03-05 10:00"), "stage": "open", "amount": 70},
    ]
    path = make_db({"leads": leads, "touches": touches, "deals": deals})
    windows = [(None, None), (D(2026, 1, 1), D(2026, 2, 1)), (D(2026, 2, 1), D(2026, 3, 1)),
               (D(2026, 2, 11), D(2026, 3, 1)), (None, D(2026, 3, 2))]
    for basis in ("revenue", "pipeline"):
        for start, end in windows:
            case = {"basis": basis, "start": start, "end": end}
            assert_same(db.run_query("attribution__touch_weights", db=path, **params_for(case)),
                        before(TOUCH_WEIGHTS_BEFORE, path, params_for(case, "deal_id")))
            assert_same(db.run_query("attribution__channel_transitions", db=path, **params_for(case)),
                        before(CHANNEL_TRANSITIONS_BEFORE, path, params_for(case)))
            assert_same(db.run_query("attribution__sourced_influenced", db=path, **params_for(case)),
                        before(SOURCED_INFLUENCED_BEFORE, path, params_for(case)))
