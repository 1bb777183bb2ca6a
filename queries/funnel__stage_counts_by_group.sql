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
    where ($segments is null or list_contains($segments, m.segment))
      and ($regions is null or list_contains($regions, m.region))
      and ($channels is null or list_contains($channels, m.channel))
      and ($teams is null or list_contains($teams, m.sourced_by))
      and ($owners is null or list_contains($owners, m.owner_id))
      and ($campaigns is null or list_contains($campaigns, m.source_campaign_id))
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

-- Each lead once per stage, with when it entered it: its own timestamp, else the first later one
-- (lead_milestones' *_entered_at).
lead_stages as (
    select
        group_value,
        created_at,
        unnest([1, 2, 3, 4, 5, 6]) as stage_order,
        unnest([created_at, mql_entered_at, sal_entered_at, sql_entered_at, opportunity_at, won_at]) as entered_at
    from filtered_leads
),

counted_entries as (
    select group_value, stage_order
    from lead_stages
    where entered_at is not null
      and case $mode
          when 'period' then ($start is null or entered_at >= $start) and ($end is null or entered_at < $end)
          else ($start is null or created_at >= $start) and ($end is null or created_at < $end)
      end
),

groups as (
    select distinct group_value from counted_entries
    union
    select null where $group_by is null
),

counts as (
    select group_value, stage_order, count(*) as reached_count
    from counted_entries
    group by all
),

final as (
    select
        g.group_value,
        s.stage_order,
        s.stage,
        s.owner_team,
        coalesce(c.reached_count, 0) as reached_count,
        coalesce(c.reached_count, 0) / nullif(
            lag(coalesce(c.reached_count, 0)) over (partition by g.group_value order by s.stage_order), 0
        ) as from_previous_rate,
        coalesce(c.reached_count, 0) / nullif(
            first_value(coalesce(c.reached_count, 0)) over (partition by g.group_value order by s.stage_order), 0
        ) as from_first_rate
    from groups as g
    cross join stages as s
    left join counts as c
        on c.group_value is not distinct from g.group_value and c.stage_order = s.stage_order
)

select * from final
order by group_value, stage_order
