-- funnel__stage_counts_by_group
-- One row per (group, funnel stage): how many leads reached the stage, as a share of the previous
-- stage and of the first. A lead reached a stage if it has that stage or any later one (DESIGN.md).
-- Cohort: leads created in the window, each counted at every stage it has reached by now. Period:
-- stage entries that fell in the window; a skipped stage is entered when the first later stage is.
-- Without $group_by every row has group_value NULL and all six stages are listed even when the
-- window is empty; with it, one block of six rows per value that has anything to count.
-- $start      date = null                   window start, inclusive; NULL = no lower bound
-- $end        date = null                   window end, exclusive; NULL = no upper bound
-- $segments   text[] = null                 lead segments to keep; NULL = all
-- $regions    text[] = null                 lead regions to keep; NULL = all
-- $channels   text[] = null                 original source channels to keep; NULL = all
-- $teams      text[] = null                 who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null                 lead owner person_ids; NULL = all
-- $campaigns  text[] = null                 source campaign_ids; NULL = all
-- $mode       text in (cohort, period) = cohort   cohort of leads created in the window, or entries in it
-- $group_by   text in (channel, segment, region, company_size, owner) = null   break down by this lead attribute
with
-- lead_milestones carries the filter and breakdown attributes: no join back to leads.
milestones as (
    select * from lead_milestones
),

stages as (
    select * from (values
        (1, 'Lead', 'marketing'),
        (2, 'MQL', 'marketing'),
        (3, 'SAL', 'sales'),
        (4, 'SQL', 'sales'),
        (5, 'Opportunity', 'sales'),
        (6, 'Won', 'sales')
    ) as s (stage_order, stage, owner_team)
),

filtered_leads as (
    select
        case $group_by
            when 'channel' then m.channel
            when 'segment' then m.segment
            when 'region' then m.region
            when 'company_size' then coalesce(m.company_size, '(none)')
            when 'owner' then coalesce(m.owner_id, '(none)')
        end as group_value,
        m.*
    from milestones as m
    where
        -- @include lead_filters
      -- Only leads with something to count in the window, before each becomes six rows: every
      -- entered_at below is one of these timestamps, so none of them in the window means no entry.
      and case $mode
          when 'period' then ($start is null
                  or greatest(m.created_at, m.mql_at, m.sal_at, m.sql_at, m.opportunity_at, m.won_at) >= $start)
              and ($end is null
                  or least(m.created_at, m.mql_at, m.sal_at, m.sql_at, m.opportunity_at, m.won_at) < $end)
          else ($start is null or m.created_at >= $start) and ($end is null or m.created_at < $end)
      end
),

-- Whether the lead's entry into each stage counts: in period mode when it fell in the window, in
-- cohort mode when it exists (filtered_leads holds only the window's leads then). A stage is
-- entered at its own timestamp, else the first later one (lead_milestones' *_entered_at).
lead_stages as (
    select
        group_value,
        case $mode
            when 'period' then ($start is null or created_at >= $start) and ($end is null or created_at < $end)
            else true
        end as counts_lead,
        case $mode
            when 'period' then mql_entered_at is not null
                and ($start is null or mql_entered_at >= $start) and ($end is null or mql_entered_at < $end)
            else mql_entered_at is not null
        end as counts_mql,
        case $mode
            when 'period' then sal_entered_at is not null
                and ($start is null or sal_entered_at >= $start) and ($end is null or sal_entered_at < $end)
            else sal_entered_at is not null
        end as counts_sal,
        case $mode
            when 'period' then sql_entered_at is not null
                and ($start is null or sql_entered_at >= $start) and ($end is null or sql_entered_at < $end)
            else sql_entered_at is not null
        end as counts_sql,
        case $mode
            when 'period' then opportunity_at is not null
                and ($start is null or opportunity_at >= $start) and ($end is null or opportunity_at < $end)
            else opportunity_at is not null
        end as counts_opportunity,
        case $mode
            when 'period' then won_at is not null
                and ($start is null or won_at >= $start) and ($end is null or won_at < $end)
            else won_at is not null
        end as counts_won
    from filtered_leads
),

-- One pass, six counts per group (no row per lead and stage).
group_counts as (
    select
        group_value,
        count(*) filter (where counts_lead) as lead_count,
        count(*) filter (where counts_mql) as mql_count,
        count(*) filter (where counts_sal) as sal_count,
        count(*) filter (where counts_sql) as sql_count,
        count(*) filter (where counts_opportunity) as opportunity_count,
        count(*) filter (where counts_won) as won_count
    from lead_stages
    group by group_value
),

-- The groups with anything to count; without $group_by the one NULL group, even when empty.
groups as (
    select * from group_counts
    where lead_count + mql_count + sal_count + sql_count + opportunity_count + won_count > 0
    union all
    select null, 0, 0, 0, 0, 0, 0
    where $group_by is null
      and not exists (
          select 1 from group_counts
          where lead_count + mql_count + sal_count + sql_count + opportunity_count + won_count > 0
      )
),

counts as (
    select
        group_value,
        unnest([1, 2, 3, 4, 5, 6]) as stage_order,
        unnest([lead_count, mql_count, sal_count, sql_count, opportunity_count, won_count]) as reached_count
    from groups
),

final as (
    select
        c.group_value,
        s.stage_order,
        s.stage,
        s.owner_team,
        c.reached_count,
        c.reached_count / nullif(
            lag(c.reached_count) over (partition by c.group_value order by s.stage_order), 0
        ) as from_previous_rate,
        c.reached_count / nullif(
            first_value(c.reached_count) over (partition by c.group_value order by s.stage_order), 0
        ) as from_first_rate
    from counts as c
    join stages as s using (stage_order)
)

select * from final
order by group_value, stage_order
