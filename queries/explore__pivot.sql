-- explore__pivot
-- One row per pivot cell: a (dim1, dim2) group with every pivot measure; `none` for a dimension
-- gives one group. Each measure counts its own event in the window: funnel counts the leads of the
-- cohort (created in the window) that reached each stage by now, or in period mode the stage
-- entries that fell in the window (a skipped stage is entered with the first later one); speed to
-- lead the leads that became MQL in the window (window_mql_count); pipeline the deals created in
-- the window; bookings and win rate the deals closed in it. Time dimensions take that event's month
-- or quarter; every other dimension is an attribute of the lead. Follow-up SLA compliance per cell
-- is explore__pivot_sla, which evaluates the SLA policy file on those same MQLs.
-- $start      date = null     window start, inclusive; NULL = no lower bound
-- $end        date = null     window end, exclusive; NULL = no upper bound
-- $segments   text[] = null   lead segments to keep; NULL = all
-- $regions    text[] = null   lead regions to keep; NULL = all
-- $channels   text[] = null   original source channels to keep; NULL = all
-- $teams      text[] = null   who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null   lead owner person_ids; NULL = all
-- $campaigns  text[] = null   source campaign_ids; NULL = all
-- $mode       text in (cohort, period) = cohort   funnel counts: cohort of leads created in the window, or entries in it
-- $dim1       text in (none, channel, campaign, segment, region, industry, company_size, owner, team, created_month, created_quarter, score_band, response_time_band) = channel   first dimension
-- $dim2       text in (none, channel, campaign, segment, region, industry, company_size, owner, team, created_month, created_quarter, score_band, response_time_band) = none   second dimension
with
-- @include explore_scope
-- @include explore_dimensions

-- Each cell's events counted by kind first (few aggregates over many rows), then spread into
-- measures (many aggregates over few rows).
cell_events as (
    select
        dim1_value,
        dim2_value,
        event,
        stage_order,
        deal_stage,
        any_value(coalesce(dim1_label, dim1_value)) as dim1_label,
        min(dim1_sort) as dim1_sort,
        any_value(coalesce(dim2_label, dim2_value)) as dim2_label,
        min(dim2_sort) as dim2_sort,
        count(*) as event_count,
        -- What the conversions need beside the counts (DESIGN.md's two paths): the marketing-sourced
        -- leads (Lead → MQL is over them) and the sales-sourced leads joining at a stage.
        count(*) filter (where is_marketing_sourced) as marketing_event_count,
        count(*) filter (where stage_order = joined_stage_order) as joined_event_count,
        sum(amount) as amount_usd,
        median(speed_to_lead_hours) filter (where event = 'mql') as median_speed_to_lead_hours
    from dimensioned
    group by dim1_value, dim2_value, event, stage_order, deal_stage
),

cells as (
    select
        dim1_value,
        any_value(dim1_label) as dim1_label,
        min(dim1_sort) as dim1_sort,
        dim2_value,
        any_value(dim2_label) as dim2_label,
        min(dim2_sort) as dim2_sort,
        coalesce(sum(event_count) filter (where event = 'stage' and stage_order = 1), 0)::bigint as lead_count,
        coalesce(sum(event_count) filter (where event = 'stage' and stage_order = 2), 0)::bigint as mql_count,
        coalesce(sum(event_count) filter (where event = 'stage' and stage_order = 3), 0)::bigint as sal_count,
        coalesce(sum(event_count) filter (where event = 'stage' and stage_order = 4), 0)::bigint as sql_count,
        coalesce(sum(event_count) filter (where event = 'stage' and stage_order = 5), 0)::bigint as opportunity_count,
        coalesce(sum(event_count) filter (where event = 'stage' and stage_order = 6), 0)::bigint as won_count,
        coalesce(sum(marketing_event_count) filter (where event = 'stage' and stage_order = 1), 0)::bigint
            as marketing_lead_count,
        coalesce(sum(joined_event_count) filter (where event = 'stage' and stage_order = 3), 0)::bigint as sal_joined_count,
        coalesce(sum(joined_event_count) filter (where event = 'stage' and stage_order = 4), 0)::bigint as sql_joined_count,
        coalesce(sum(joined_event_count) filter (where event = 'stage' and stage_order = 5), 0)::bigint
            as opportunity_joined_count,
        coalesce(sum(joined_event_count) filter (where event = 'stage' and stage_order = 6), 0)::bigint as won_joined_count,
        coalesce(sum(amount_usd) filter (where event = 'deal_created'), 0)::double as pipeline_usd,
        coalesce(sum(event_count) filter (where event = 'deal_created'), 0)::bigint as deals_created_count,
        coalesce(sum(amount_usd) filter (where event = 'deal_closed' and deal_stage = 'won'), 0)::double as bookings_usd,
        coalesce(sum(event_count) filter (where event = 'deal_closed' and deal_stage = 'won'), 0)::bigint as deals_won_count,
        coalesce(sum(event_count) filter (where event = 'deal_closed' and deal_stage = 'lost'), 0)::bigint as deals_lost_count,
        coalesce(sum(event_count) filter (where event = 'mql'), 0)::bigint as window_mql_count,
        any_value(median_speed_to_lead_hours) filter (where event = 'mql') as median_speed_to_lead_hours
    from cell_events
    group by dim1_value, dim2_value
),

final as (
    select
        dim1_value,
        dim1_label,
        dim1_sort,
        dim2_value,
        dim2_label,
        dim2_sort,
        lead_count,
        mql_count,
        sal_count,
        sql_count,
        opportunity_count,
        won_count,
        -- As funnel__stage_counts' from_previous_rate: (reached − joined) ÷ the previous stage.
        mql_count / nullif(marketing_lead_count, 0) as lead_to_mql_rate,
        (sal_count - sal_joined_count) / nullif(mql_count, 0) as mql_to_sal_rate,
        (sql_count - sql_joined_count) / nullif(sal_count, 0) as sal_to_sql_rate,
        (opportunity_count - opportunity_joined_count) / nullif(sql_count, 0) as sql_to_opportunity_rate,
        (won_count - won_joined_count) / nullif(opportunity_count, 0) as opportunity_to_won_rate,
        pipeline_usd,
        deals_created_count,
        bookings_usd,
        deals_won_count,
        deals_lost_count,
        deals_won_count / nullif(deals_won_count + deals_lost_count, 0) as win_rate,
        window_mql_count,
        median_speed_to_lead_hours
    from cells
)

select * from final
order by dim1_sort nulls last, dim1_label, dim2_sort nulls last, dim2_label
