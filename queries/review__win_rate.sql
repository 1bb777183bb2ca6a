-- review__win_rate
-- One row per group of deals, grouped by $by, that has a deal closed (won or lost) in the window or
-- a deal open now: deals won, lost and closed in the window, the win rate won / (won + lost) (NULL
-- when none closed; the company row is the Overview's win rate), bookings (amount won in the
-- window) and the average won deal, and the open pipeline now, whatever the window (the registry's
-- open pipeline, a snapshot). A deal with no owner, manager or product groups under a NULL
-- group_value ("No owner", "No manager", "No product"); the manager is the deal owner's manager_id
-- in people. Lead filters apply to the deal's lead ($owners is the lead's owner, as everywhere).
-- $start      date = null     window start, inclusive; NULL = no lower bound
-- $end        date = null     window end, exclusive; NULL = no upper bound
-- $segments   text[] = null   lead segments to keep; NULL = all
-- $regions    text[] = null   lead regions to keep; NULL = all
-- $channels   text[] = null   original source channels to keep; NULL = all
-- $teams      text[] = null   who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null   lead owner person_ids; NULL = all
-- $campaigns  text[] = null   source campaign_ids; NULL = all
-- $by         text in (company, owner, manager, product, segment) = company   how to group the deals: one row for the company, or per deal owner, owner's manager, product or lead segment
with
-- @include review_deals

by_group as (
    select
        group_by,
        group_value,
        any_value(group_label) as group_label,
        count(*) filter (where is_closed_in_window and stage = 'won') as won_count,
        count(*) filter (where is_closed_in_window and stage = 'lost') as lost_count,
        coalesce(sum(amount) filter (where is_closed_in_window and stage = 'won'), 0) as bookings_usd,
        avg(amount) filter (where is_closed_in_window and stage = 'won') as average_won_usd,
        count(*) filter (where is_open) as open_count,
        coalesce(sum(amount) filter (where is_open), 0) as pipeline_usd
    from review_deals
    group by group_by, group_value
),

final as (
    select
        group_by,
        group_value,
        group_label,
        won_count,
        lost_count,
        won_count + lost_count as closed_count,
        won_count / nullif(won_count + lost_count, 0) as win_rate,
        bookings_usd::double as bookings_usd,
        average_won_usd::double as average_won_usd,
        open_count,
        pipeline_usd::double as pipeline_usd
    from by_group
)

select * from final
order by closed_count desc, group_value nulls last
