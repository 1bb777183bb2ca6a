-- overview__money_by_month
-- One row per month from $start's quarter to $end's quarter: pipeline created (deals created
-- that month) and bookings (won deals closed that month), for leads matching the filters.
-- $start      date   = null   first day of the window (its whole quarter is returned)
-- $end        date   = null   day after the window (its whole quarter is returned)
-- $segments   text[] = null   lead segments to keep
-- $regions    text[] = null   lead regions to keep
-- $channels   text[] = null   lead source channels to keep
-- $teams      text[] = null   who sourced the lead
-- $owners     text[] = null   lead owners to keep
-- $campaigns  text[] = null   source campaigns to keep
with
-- Each deal with its lead's attributes (queries/derived/deal_facts.sql): the filtered
-- leads' deals without joining every lead to them.
filtered_deals as (
    select deal_created_at as created_at, deal_closed_at as closed_at, amount, deal_stage as stage
    from deal_facts
    where
        -- @include lead_filters
),

bounds as (
    select
        date_trunc('quarter', coalesce($start, (select min(created_at) from leads)))::date as first_month,
        (date_trunc('quarter', coalesce($end::date - 1, (select max(created_at) from leads)::date)) + interval 2 month)::date
            as last_month
),

months as (
    select unnest(generate_series(first_month, last_month, interval 1 month))::date as month_start
    from bounds
),

pipeline as (
    select date_trunc('month', created_at)::date as month_start, sum(amount) as pipeline_created_usd
    from filtered_deals
    group by all
),

bookings as (
    select date_trunc('month', closed_at)::date as month_start, sum(amount) as bookings_usd
    from filtered_deals
    where stage = 'won'
    group by all
),

final as (
    select
        m.month_start,
        coalesce(p.pipeline_created_usd, 0)::double as pipeline_created_usd,
        coalesce(b.bookings_usd, 0)::double as bookings_usd
    from months as m
    left join pipeline as p using (month_start)
    left join bookings as b using (month_start)
)

select * from final
order by month_start
