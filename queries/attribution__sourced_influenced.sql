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
