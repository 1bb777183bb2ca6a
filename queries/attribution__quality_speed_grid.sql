-- attribution__quality_speed_grid
-- One row per (lead-score band, follow-up speed) cell of the MQLs whose mql_at falls in the window:
-- how many there are, how many reached SQL and Won (by now), and those conversions as rates.
-- Lead quality is marketing's lever, follow-up speed sales'. Speed to lead is the wall-clock time
-- from mql_at to the first sales touch at or after it (lead_milestones); an MQL without one is
-- `no follow-up`. Every cell of the grid is listed, empty ones with 0 MQLs. is_thin marks cells under
-- 30 MQLs, whose rates are too thin to read.
-- $start      date = null                   window start, inclusive; NULL = no lower bound
-- $end        date = null                   window end, exclusive; NULL = no upper bound
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
            when m.score is null then 5
            when m.score >= 80 then 1
            when m.score >= 60 then 2
            when m.score >= 40 then 3
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
    from milestones as m
    where m.mql_at is not null
        and ($start is null or m.mql_at >= $start)
        and ($end is null or m.mql_at < $end)
        and
            -- @include lead_filters
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
