-- funnel__stage_counts_by_group
-- One row per (group, funnel stage): how many leads reached the stage, per path (marketing-sourced,
-- sales-sourced) and how many joined the path there, as a share of the previous stage and of the
-- first. DESIGN.md's two paths: a sales-sourced lead is never an MQL and joins at its first sales
-- stage; a lead reached a stage if it is on a path through it and has it or any later stage.
-- Cohort: leads created in the window, each counted at every stage it has reached by now. Period:
-- stage entries that fell in the window; a skipped stage is entered when the first later stage is.
-- from_previous_rate = (reached − joined) ÷ reached at the previous stage; Lead → MQL is over the
-- marketing-sourced leads only (sales-sourced leads never take that step).
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
-- entered at its own timestamp, else the first later one (lead_milestones' *_entered_at, NULL off
-- the lead's path).
lead_stages as (
    select
        group_value,
        is_marketing_sourced,
        joined_stage_order,
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

-- One pass per group: each stage's count, its marketing-sourced part and the leads joining there.
group_counts as (
    select
        group_value,
        [
            count(*) filter (where counts_lead),
            count(*) filter (where counts_mql),
            count(*) filter (where counts_sal),
            count(*) filter (where counts_sql),
            count(*) filter (where counts_opportunity),
            count(*) filter (where counts_won)
        ] as reached_counts,
        [
            count(*) filter (where counts_lead and is_marketing_sourced),
            count(*) filter (where counts_mql and is_marketing_sourced),
            count(*) filter (where counts_sal and is_marketing_sourced),
            count(*) filter (where counts_sql and is_marketing_sourced),
            count(*) filter (where counts_opportunity and is_marketing_sourced),
            count(*) filter (where counts_won and is_marketing_sourced)
        ] as marketing_counts,
        [
            0,
            0,
            count(*) filter (where counts_sal and joined_stage_order = 3),
            count(*) filter (where counts_sql and joined_stage_order = 4),
            count(*) filter (where counts_opportunity and joined_stage_order = 5),
            count(*) filter (where counts_won and joined_stage_order = 6)
        ] as joined_counts
    from lead_stages
    group by group_value
),

-- The groups with anything to count; without $group_by the one NULL group, even when empty.
groups as (
    select * from group_counts
    where list_sum(reached_counts) > 0
    union all
    select null, [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]
    where $group_by is null
      and not exists (select 1 from group_counts where list_sum(reached_counts) > 0)
),

counts as (
    select
        group_value,
        unnest([1, 2, 3, 4, 5, 6]) as stage_order,
        unnest(reached_counts) as reached_count,
        unnest(marketing_counts) as marketing_sourced_count,
        unnest(joined_counts) as joined_count
    from groups
),

-- What each step's rate divides by: the previous stage, or for Lead → MQL its marketing-sourced part.
steps as (
    select
        *,
        lag(case when stage_order = 1 then marketing_sourced_count else reached_count end)
            over (partition by group_value order by stage_order) as previous_count,
        first_value(reached_count) over (partition by group_value order by stage_order) as first_count
    from counts
),

final as (
    select
        c.group_value,
        s.stage_order,
        s.stage,
        s.owner_team,
        c.reached_count,
        (c.reached_count - c.joined_count) / nullif(c.previous_count, 0) as from_previous_rate,
        c.reached_count / nullif(c.first_count, 0) as from_first_rate,
        c.marketing_sourced_count,
        c.reached_count - c.marketing_sourced_count as sales_sourced_count,
        c.joined_count
    from steps as c
    join stages as s using (stage_order)
)

select * from final
order by group_value, stage_order
