-- overview__pipeline_coverage
-- One row per segment: open pipeline today, bookings so far this quarter, and the segment's win
-- rate over the four quarters before this one (won / (won + lost), deals closed then), for leads
-- matching the filters. "This quarter" is the quarter of the data's latest lead.
-- $segments   text[] = null   lead segments to keep
-- $regions    text[] = null   lead regions to keep
-- $channels   text[] = null   lead source channels to keep
-- $teams      text[] = null   who sourced the lead
-- $owners     text[] = null   lead owners to keep
-- $campaigns  text[] = null   source campaigns to keep
with
this_quarter as (
    select date_trunc('quarter', max(created_at))::date as quarter_start from leads
),

-- Each deal with its lead's attributes (queries/derived/deal_facts.sql): the filtered
-- leads' deals without joining every lead to them.
filtered_deals as (
    select deal_closed_at as closed_at, amount, deal_stage as stage, segment
    from deal_facts
    where
        -- @include lead_filters
),

by_segment as (
    select
        d.segment,
        q.quarter_start,
        coalesce(sum(d.amount) filter (where d.stage = 'open'), 0) as open_pipeline_usd,
        count(*) filter (where d.stage = 'open') as open_deal_count,
        coalesce(sum(d.amount) filter (where d.stage = 'won' and d.closed_at >= q.quarter_start), 0)
            as quarter_bookings_usd,
        count(*) filter (where d.stage = 'won' and d.closed_at >= q.quarter_start - interval 12 month
                                                and d.closed_at < q.quarter_start) as trailing_won_count,
        count(*) filter (where d.stage = 'lost' and d.closed_at >= q.quarter_start - interval 12 month
                                                 and d.closed_at < q.quarter_start) as trailing_lost_count
    from filtered_deals as d
    cross join this_quarter as q
    group by all
),

final as (
    select
        segment,
        quarter_start,
        open_pipeline_usd::double as open_pipeline_usd,
        open_deal_count,
        quarter_bookings_usd::double as quarter_bookings_usd,
        trailing_won_count,
        trailing_lost_count,
        trailing_won_count / nullif(trailing_won_count + trailing_lost_count, 0) as trailing_win_rate
    from by_segment
)

select * from final
order by open_pipeline_usd desc, segment
