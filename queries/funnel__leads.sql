-- funnel__leads
-- One row per lead counted at one funnel stage (the drill-down behind a funnel bar): the same leads
-- funnel__stage_counts counts for that stage, mode and filters, newest stage entry first, with the
-- lead's attributes, every stage timestamp, its furthest stage and where it stands now (won, lost,
-- disqualified with the reason, or open). At most $row_limit rows.
-- $start        date = null                 window start, inclusive; NULL = no lower bound
-- $end          date = null                 window end, exclusive; NULL = no upper bound
-- $segments     text[] = null               lead segments to keep; NULL = all
-- $regions      text[] = null               lead regions to keep; NULL = all
-- $channels     text[] = null               original source channels to keep; NULL = all
-- $teams        text[] = null               who sourced the lead (marketing, sales); NULL = all
-- $owners       text[] = null               lead owner person_ids; NULL = all
-- $campaigns    text[] = null               source campaign_ids; NULL = all
-- $mode         text in (cohort, period) = cohort   cohort of leads created in the window, or entries in it
-- $stage_order  integer = 1                 the stage: 1 Lead, 2 MQL, 3 SAL, 4 SQL, 5 Opportunity, 6 Won
-- $group_by     text in (channel, segment, region, company_size, owner) = null   breakdown attribute of $group_value
-- $group_value  text = null                 keep only leads with this value of $group_by; NULL = all
-- $row_limit    integer = 10000             most rows to return
with
-- lead_milestones carries every lead attribute this list shows: no join back to leads.
milestones as (
    select * from lead_milestones
),

deals as (
    select * from deals
),

people as (
    select * from people
),

stages as (
    select * from (values
        (1, 'Lead'), (2, 'MQL'), (3, 'SAL'), (4, 'SQL'), (5, 'Opportunity'), (6, 'Won')
    ) as s (stage_order, stage)
),

filtered_leads as (
    select
        m.*,
        -- When the lead entered the chosen stage: its own timestamp, else the first later one.
        [m.created_at, m.mql_entered_at, m.sal_entered_at, m.sql_entered_at, m.opportunity_at, m.won_at][$stage_order]
            as stage_entered_at,
        case
            when m.reached_won then 6
            when m.reached_opportunity then 5
            when m.reached_sql then 4
            when m.reached_sal then 3
            when m.reached_mql then 2
            else 1
        end as furthest_stage_order,
        case $group_by
            when 'channel' then m.channel
            when 'segment' then m.segment
            when 'region' then m.region
            when 'company_size' then coalesce(m.company_size, '(none)')
            when 'owner' then coalesce(m.owner_id, '(none)')
        end as group_value
    from milestones as m
    where
        -- @include lead_filters
),

-- The leads listed: newest stage entry first, cut to $row_limit before the deals are looked up.
counted as materialized (
    select *
    from filtered_leads
    where stage_entered_at is not null
      and ($group_value is null or group_value = $group_value)
      and case $mode
          when 'period' then ($start is null or stage_entered_at >= $start) and ($end is null or stage_entered_at < $end)
          else ($start is null or created_at >= $start) and ($end is null or created_at < $end)
      end
    order by stage_entered_at desc, lead_id
    limit $row_limit
),

deal_outcomes as (
    select
        lead_id,
        bool_or(stage = 'open') as has_open_deal,
        arg_max(lost_reason, closed_at) filter (where stage = 'lost') as lost_reason
    from deals
    semi join counted using (lead_id)
    group by all
),

final as (
    select
        c.lead_id,
        c.created_at,
        c.stage_entered_at,
        c.channel,
        c.segment,
        c.region,
        c.company_size,
        c.sourced_by,
        c.owner_id,
        p.name as owner_name,
        c.score,
        f.stage as furthest_stage,
        case
            when c.won_at is not null then 'won'
            when d.has_open_deal then 'open'
            when d.lead_id is not null then 'lost'
            when c.disqualified_at is not null then 'disqualified'
            else 'open'
        end as status,
        case
            when c.won_at is null and d.lead_id is not null and not d.has_open_deal
                then coalesce(d.lost_reason, '(no reason given)')
            when d.lead_id is null and c.disqualified_at is not null
                then coalesce(c.disqualify_reason, '(no reason given)')
        end as exit_reason,
        c.mql_at,
        c.sal_at,
        c.sql_at,
        c.opportunity_at,
        c.won_at,
        c.disqualified_at
    from counted as c
    join stages as f on f.stage_order = c.furthest_stage_order
    left join deal_outcomes as d using (lead_id)
    left join people as p on p.person_id = c.owner_id
)

select * from final
order by stage_entered_at desc, lead_id
