-- attribution__sourced_influenced
-- One row per measure of who brought the deals in scope (pipeline: deals created in the window;
-- revenue: won deals closed in the window): marketing_sourced and sales_sourced (by the lead's
-- sourced_by; they add up to total, no deal counted twice), total, and apart from them
-- marketing_influenced (deals whose lead had at least one marketing touch before the deal was
-- created, whoever sourced it) and the part of it that sales sourced (influenced_sales_sourced).
-- $basis      text in (pipeline, revenue) = pipeline   pipeline: deals by created_at; revenue: won deals by closed_at
-- $start      date = null                   window start, inclusive; NULL = no lower bound
-- $end        date = null                   window end, exclusive; NULL = no upper bound
-- $segments   text[] = null                 lead segments to keep; NULL = all
-- $regions    text[] = null                 lead regions to keep; NULL = all
-- $channels   text[] = null                 original source channels to keep; NULL = all
-- $teams      text[] = null                 who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null                 lead owner person_ids; NULL = all
-- $campaigns  text[] = null                 source campaign_ids; NULL = all
with
-- The journeys built at import (derived attribution_journeys): one row of each deal in the window.
journeys as (
    select * from attribution_journeys
),

windowed as (
    select
        deal_id,
        amount_cents,
        lead_sourced_by as sourced_by,
        is_marketing_influenced
    from journeys
    where journey_kind = $basis
        and touch_number <= 1
        and ($start is null or window_at >= $start)
        and ($end is null or window_at < $end)
        and
            -- @include journey_lead_filters
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
        coalesce(sum(w.amount_cents) / 100.0, 0)::double as amount_usd
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
