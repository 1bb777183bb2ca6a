-- The joint review's deals (review__sales_cycle, review__win_rate): CTE `review_deals`, one row per
-- deal whose lead passes the shared lead filters and that was won or lost in the window or is open
-- now, with its group under the bound $by (company, owner, manager, product, segment): group_value
-- (NULL for deals with no owner, manager or product) and group_label.
-- [shared review deals]
-- deal_facts carries the lead's filter columns (its owner_id is the lead's owner, as the $owners
-- filter means everywhere); the deal's own owner and product are joined back from deals.
filtered_deal_facts as (
    select
        deal_id,
        deal_created_at,
        deal_closed_at,
        amount,
        deal_stage,
        segment,
        deal_stage in ('won', 'lost')
            and deal_closed_at is not null
            and ($start is null or deal_closed_at >= $start)
            and ($end is null or deal_closed_at < $end) as is_closed_in_window
    from deal_facts
    where
        -- @include lead_filters
),

review_deals as (
    select
        f.deal_id,
        f.deal_stage as stage,
        f.amount,
        f.is_closed_in_window,
        f.deal_stage = 'open' as is_open,
        date_diff('microsecond', f.deal_created_at, f.deal_closed_at) / 86400e6 as cycle_days,
        $by as group_by,
        case $by
            when 'owner' then d.owner_id
            when 'manager' then o.manager_id
            when 'product' then d.product
            when 'segment' then f.segment
            else 'all'
        end as group_value,
        case $by
            when 'owner' then coalesce(o.name, d.owner_id, 'No owner')
            when 'manager' then coalesce(m.name, o.manager_id, 'No manager')
            when 'product' then coalesce(d.product, 'No product')
            when 'segment' then f.segment
            else 'All deals'
        end as group_label
    from filtered_deal_facts as f
    join deals as d using (deal_id)
    left join people as o on o.person_id = d.owner_id
    left join people as m on m.person_id = o.manager_id
    where f.is_closed_in_window or f.deal_stage = 'open'
),
-- [end shared review deals]
