-- attribution__conversion_shift_share
-- One row per lead-score band: MQLs and how many of them were won, in the window and in the
-- previous period, and the band's part of the change in MQL→Won conversion split shift-share
-- style into mix (the bands marketing sent: Δshare × previous rate), rate (conversion within the
-- band, sales' lever: previous share × Δrate) and their interaction (Δshare × Δrate). Over the
-- bands, mix + rate + interaction add up exactly to current_rate − previous_rate of the total.
-- A cohort is the MQLs whose mql_at falls in its period; a win counts if the lead's first won deal
-- closed within the same time after its period's end for both cohorts (the time the current
-- cohort has had up to the as-of date), so a young cohort is not compared with a mature one.
-- Bands: 80–100, 60–79, 40–59, 0–39 and unscored (band_order 1–5).
-- $start           date = null          window start, inclusive
-- $end             date = null          window end, exclusive
-- $previous_start  date = null          previous period start; NULL = as long as the window, just before it
-- $previous_end    date = null          previous period end, exclusive; NULL = the window start
-- $segments   text[] = null                 lead segments to keep; NULL = all
-- $regions    text[] = null                 lead regions to keep; NULL = all
-- $channels   text[] = null                 original source channels to keep; NULL = all
-- $teams      text[] = null                 who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null                 lead owner person_ids; NULL = all
-- $campaigns  text[] = null                 source campaign_ids; NULL = all
with
-- lead_milestones carries the lead's own columns too: no join back to leads.
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
        (select max(created_at)::date from milestones)
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
            when m.score is null then 5
            when m.score >= 80 then 1
            when m.score >= 60 then 2
            when m.score >= 40 then 3
            else 4
        end as band_order,
        m.won_at is not null and m.won_at < p.ends_at + h.watched as is_won
    from milestones as m
    cross join periods as p
    cross join horizon as h
    where $start is not null and $end is not null
        and m.mql_at >= p.starts_at and m.mql_at < p.ends_at
        and
            -- @include lead_filters
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
