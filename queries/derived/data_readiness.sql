-- data_readiness: one row per data-readiness rule, whether the data holds what some metrics need
-- (the registry's `needs`, handoff/metrics.toml). A metric whose rule is `missing` shows what the data
-- lacks instead of a number that would mislead (a follow-up SLA of 0 % where no touch was ever
-- logged); `partial` marks the number. Rules: sales touches recorded (speed to lead, the follow-up SLA,
-- sales' attribution credit), lost deals recorded (win rate: with no losses it is 100 % by
-- construction), amounts on open deals (pipeline and coverage), amounts on won deals (bookings), and
-- sales' decisions on MQLs recorded (the acceptance-decision and quality SLAs, the acceptance rate: a
-- CRM without an accepted or rejected date, HubSpot's default, would read 0 % for both).
create or replace table data_readiness as
with
mql_counts as (
    select
        count(*) as mql_count,
        count(*) filter (where sal_at is not null or disqualified_at is not null) as decided_count
    from leads
    where mql_at is not null
),

touch_counts as (
    select count(*) filter (where team = 'sales') as sales_touch_count, count(*) as touch_count from touches
),

deal_counts as (
    select
        count(*) filter (where stage = 'lost') as lost_count,
        count(*) filter (where stage in ('won', 'lost')) as closed_count,
        count(*) filter (where stage = 'open') as open_count,
        count(*) filter (where stage = 'open' and amount > 0) as open_with_amount_count,
        count(*) filter (where stage = 'won') as won_count,
        count(*) filter (where stage = 'won' and amount > 0) as won_with_amount_count
    from deals
),

final as (
    select
        1 as rule_order,
        'sales_touches_recorded' as rule_id,
        'Sales touches recorded' as rule_label,
        case when t.sales_touch_count > 0 then 'ready' else 'missing' end as status,
        t.sales_touch_count as found_count,
        t.touch_count as checked_count,
        case when t.sales_touch_count > 0
            then format('{:,} sales touches of {:,} touches', t.sales_touch_count, t.touch_count)
            else 'no sales touches recorded'
        end as detail
    from touch_counts as t

    union all

    select
        2,
        'lost_deals_recorded',
        'Lost deals recorded',
        case when d.lost_count > 0 then 'ready' when d.closed_count = 0 then 'ready' else 'missing' end,
        d.lost_count,
        d.closed_count,
        case when d.lost_count > 0 or d.closed_count = 0
            then format('{:,} lost deals of {:,} closed', d.lost_count, d.closed_count)
            else 'no lost deals in the data'
        end
    from deal_counts as d

    union all

    select
        3,
        'open_deal_amounts',
        'Amounts on open deals',
        case
            when d.open_count = d.open_with_amount_count then 'ready'
            when d.open_with_amount_count = 0 then 'missing'
            else 'partial'
        end,
        d.open_with_amount_count,
        d.open_count,
        case
            when d.open_count = d.open_with_amount_count then format('{:,} open deals, all with an amount', d.open_count)
            when d.open_with_amount_count = 0 then 'no amounts on open deals'
            else format('{:,} of {:,} open deals have no amount', d.open_count - d.open_with_amount_count, d.open_count)
        end
    from deal_counts as d

    union all

    select
        4,
        'won_deal_amounts',
        'Amounts on won deals',
        case
            when d.won_count = d.won_with_amount_count then 'ready'
            when d.won_with_amount_count = 0 then 'missing'
            else 'partial'
        end,
        d.won_with_amount_count,
        d.won_count,
        case
            when d.won_count = d.won_with_amount_count then format('{:,} won deals, all with an amount', d.won_count)
            when d.won_with_amount_count = 0 then 'no amounts on won deals'
            else format('{:,} of {:,} won deals have no amount', d.won_count - d.won_with_amount_count, d.won_count)
        end
    from deal_counts as d

    union all

    select
        5,
        'mql_decisions_recorded',
        'Sales'' decisions on MQLs recorded',
        case when m.decided_count > 0 or m.mql_count = 0 then 'ready' else 'missing' end,
        m.decided_count,
        m.mql_count,
        case
            when m.mql_count = 0 then 'no MQLs to decide on'
            when m.decided_count > 0
                then format('{:,} of {:,} MQLs accepted (SAL) or rejected', m.decided_count, m.mql_count)
            else 'no MQL has an accepted (SAL) or rejected date'
        end
    from mql_counts as m
)

select * from final
order by rule_order;
