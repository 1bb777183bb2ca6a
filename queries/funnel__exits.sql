-- funnel__exits
-- One row per link of the "where leads leave" flow, for leads created in the window: from a stage to
-- the next stage (how many reached it), or from a lead's furthest stage to where it ended up:
-- disqualified (with the lead's disqualify_reason), lost (the reason of its most recently closed
-- lost deal, when it has no open deal), or still open. Won leads end at Won. Reached = on a path
-- through the stage with it or any later one, so a skipped stage is passed through, never an exit.
-- A marketing-sourced lead goes from Lead to MQL; a sales-sourced one straight from Lead to the
-- stage where it joined the handoff path (DESIGN.md), never through MQL.
-- $start      date = null                   created on or after this day; NULL = no lower bound
-- $end        date = null                   created before this day; NULL = no upper bound
-- $segments   text[] = null                 lead segments to keep; NULL = all
-- $regions    text[] = null                 lead regions to keep; NULL = all
-- $channels   text[] = null                 original source channels to keep; NULL = all
-- $teams      text[] = null                 who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null                 lead owner person_ids; NULL = all
-- $campaigns  text[] = null                 source campaign_ids; NULL = all
with
-- lead_milestones carries the filter attributes and disqualification: no join back to leads.
milestones as (
    select * from lead_milestones
),

deals as (
    select * from deals
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

cohort_leads as (
    select
        m.*,
        case
            when m.reached_won then 6
            when m.reached_opportunity then 5
            when m.reached_sql then 4
            when m.reached_sal then 3
            when m.reached_mql then 2
            else 1
        end as furthest_stage_order,
        -- The stage the lead's path goes to after Lead.
        case when m.is_marketing_sourced then 2 else m.joined_stage_order end as entry_stage_order
    from milestones as m
    where ($start is null or m.created_at >= $start)
      and ($end is null or m.created_at < $end)
      and
          -- @include lead_filters
),

-- The deals of the cohort's leads only.
deal_outcomes as (
    select
        lead_id,
        bool_or(stage = 'open') as has_open_deal,
        arg_max(lost_reason, closed_at) filter (where stage = 'lost') as lost_reason
    from deals
    semi join cohort_leads using (lead_id)
    group by all
),

cohort as (
    select c.*, d.has_open_deal, d.lost_reason
    from cohort_leads as c
    left join deal_outcomes as d using (lead_id)
),

-- Where each cohort lead ended: its furthest stage and, short of Won, how it left.
lead_ends as (
    select
        entry_stage_order,
        furthest_stage_order as from_stage_order,
        case
            when furthest_stage_order = 5 and not has_open_deal then 'lost'
            when furthest_stage_order < 5 and disqualified_at is not null then 'disqualified'
            else 'open'
        end as exit_kind,
        case
            when furthest_stage_order = 5 and not has_open_deal then coalesce(lost_reason, '(no reason given)')
            when furthest_stage_order < 5 and disqualified_at is not null
                then coalesce(disqualify_reason, '(no reason given)')
        end as exit_reason
    from cohort
),

-- One pass over the cohort; the links below are sums of these few rows.
end_counts as (
    select entry_stage_order, from_stage_order, exit_kind, exit_reason, count(*) as lead_count
    from lead_ends
    group by all
),

-- A lead went from Lead to its path's entry stage, then through every stage up to its furthest.
stage_links as (
    select 1 as from_stage_order, entry_stage_order as to_stage_order, sum(lead_count)::bigint as lead_count
    from end_counts
    where from_stage_order > 1
    group by all
    union all
    select s.stage_order - 1, s.stage_order, sum(e.lead_count)::bigint
    from stages as s
    join end_counts as e on e.from_stage_order >= s.stage_order and s.stage_order > e.entry_stage_order
    group by all
),

exit_links as (
    select from_stage_order, exit_kind, exit_reason, sum(lead_count)::bigint as lead_count
    from end_counts
    where from_stage_order < 6
    group by all
),

links as (
    select from_stage_order, to_stage_order, null as exit_kind, null as exit_reason, lead_count
    from stage_links
    union all
    select from_stage_order, null, exit_kind, exit_reason, lead_count
    from exit_links
),

final as (
    select
        k.from_stage_order,
        f.stage as from_stage,
        f.owner_team as from_owner_team,
        k.to_stage_order,
        t.stage as to_stage,
        k.exit_kind,
        k.exit_reason,
        k.lead_count
    from links as k
    join stages as f on f.stage_order = k.from_stage_order
    left join stages as t on t.stage_order = k.to_stage_order
)

select * from final
order by from_stage_order, to_stage_order nulls last, exit_kind, lead_count desc, exit_reason
