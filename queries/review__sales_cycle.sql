-- review__sales_cycle
-- One row per group of the deals closed (won or lost) in the window, grouped by $by: how many closed,
-- won and lost, and the median and mean sales cycle in days (deal created_at to closed_at, exact to
-- the microsecond) over the closed deals and over the won ones (DESIGN.md's sales cycle). A deal with
-- no owner, manager or product groups under a NULL group_value ("No owner", "No manager", "No
-- product"); the manager is the deal owner's manager_id in people. Lead filters apply to the deal's
-- lead ($owners is the lead's owner, as everywhere). No deal closed in the window: no rows.
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

closed_deals as (
    select * from review_deals
    where is_closed_in_window
),

by_group as (
    select
        group_by,
        group_value,
        any_value(group_label) as group_label,
        count(*) as closed_count,
        count(*) filter (where stage = 'won') as won_count,
        count(*) filter (where stage = 'lost') as lost_count,
        median(cycle_days) as median_cycle_days_closed,
        avg(cycle_days) as mean_cycle_days_closed,
        median(cycle_days) filter (where stage = 'won') as median_cycle_days_won,
        avg(cycle_days) filter (where stage = 'won') as mean_cycle_days_won
    from closed_deals
    group by group_by, group_value
),

final as (
    select
        group_by,
        group_value,
        group_label,
        closed_count,
        won_count,
        lost_count,
        median_cycle_days_closed,
        mean_cycle_days_closed,
        median_cycle_days_won,
        mean_cycle_days_won
    from by_group
)

select * from final
order by closed_count desc, group_value nulls last
