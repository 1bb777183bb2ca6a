-- The scope and events explore__pivot and explore__cell_members share (each includes this file with
-- `-- @include explore_scope`, then `-- @include explore_dimensions`): CTEs up to `events`, one row
-- per thing a measure counts in the window, with its lead's attributes.
-- [shared scope and events]
-- lead_milestones carries the lead attributes: no join back to leads. Not materialized: each use
-- scans it with its own window filter (the table is in created_at order, so most is skipped).
scoped_leads as not materialized (
    select
        lead_id,
        created_at,
        channel,
        source_campaign_id,
        segment,
        region,
        industry,
        company_size,
        owner_id,
        sourced_by,
        score,
        mql_at,
        sal_at,
        sql_at,
        opportunity_at,
        won_at,
        mql_entered_at,
        sal_entered_at,
        sql_entered_at,
        speed_to_lead_hours,
        is_marketing_sourced,
        joined_stage_order
    from lead_milestones
    where
        -- @include lead_filters
),

people as (
    select * from people
),

campaigns as (
    select * from campaigns
),

-- Each lead once per stage, with when it entered it: its own timestamp, else the first later one.
-- Only leads with an entry that can fall in the window (every entry is one of their timestamps).
stage_entries as (
    select
        * exclude (sal_at, sql_at, opportunity_at, won_at, mql_entered_at, sal_entered_at, sql_entered_at),
        unnest([1, 2, 3, 4, 5, 6]) as stage_order,
        unnest([created_at, mql_entered_at, sal_entered_at, sql_entered_at, opportunity_at, won_at]) as entered_at
    from scoped_leads
    where case $mode
        when 'period' then ($start is null or greatest(created_at, mql_at, sal_at, sql_at, opportunity_at, won_at) >= $start)
            and ($end is null or least(created_at, mql_at, sal_at, sql_at, opportunity_at, won_at) < $end)
        else ($start is null or created_at >= $start) and ($end is null or created_at < $end)
    end
),

-- The deals created or closed in the window whose lead passes the filters.
window_deals as materialized (
    select *
    -- Each deal with its lead's attributes (queries/derived/deal_facts.sql).
    from deal_facts
    where
        -- @include lead_filters
      and ((($start is null or deal_created_at >= $start) and ($end is null or deal_created_at < $end))
           or (deal_stage in ('won', 'lost')
               and ($start is null or deal_closed_at >= $start) and ($end is null or deal_closed_at < $end)))
),

-- One row per thing a measure counts, stamped with the moment that puts it in the window, with the
-- attributes of its lead.
events as (
    select
        'stage' as event,
        case $mode when 'period' then entered_at else created_at end as event_at,
        * exclude (entered_at)
    from stage_entries
    where entered_at is not null
      and case $mode
          when 'period' then ($start is null or entered_at >= $start) and ($end is null or entered_at < $end)
          else ($start is null or created_at >= $start) and ($end is null or created_at < $end)
      end

    union all by name

    select 'mql' as event, mql_at as event_at, * exclude (sal_at, sql_at, opportunity_at, won_at, mql_entered_at, sal_entered_at, sql_entered_at)
    from scoped_leads
    where mql_at is not null
      and ($start is null or mql_at >= $start) and ($end is null or mql_at < $end)

    union all by name

    select 'deal_created' as event, deal_created_at as event_at, * exclude (deal_created_at, deal_closed_at)
    from window_deals
    where ($start is null or deal_created_at >= $start) and ($end is null or deal_created_at < $end)

    union all by name

    select 'deal_closed' as event, deal_closed_at as event_at, * exclude (deal_created_at, deal_closed_at)
    from window_deals
    where deal_stage in ('won', 'lost')
      and ($start is null or deal_closed_at >= $start) and ($end is null or deal_closed_at < $end)
),
-- [end shared scope and events]
