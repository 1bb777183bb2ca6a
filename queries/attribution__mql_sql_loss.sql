-- attribution__mql_sql_loss
-- One row per reason an MQL (mql_at in the window) has not reached SQL, each with the team whose
-- lever it is. The reasons are exclusive and, with the MQLs that reached SQL, cover every MQL:
--   not_a_fit                   rejected at the handoff (no sal_at) as outside the ideal customer:
--                               disqualify_reason not_a_fit or no_budget (definitional; marketing's targeting)
--   data_or_routing             rejected at the handoff for bad_contact_data, duplicate or wrong_territory
--                               (shared: data quality and routing rules)
--   other_rejection             rejected at the handoff for any other or no reason (shared)
--   not_worked_in_sla           no decision, and no sales touch within the follow-up SLA of mql_at
--                               (late, or none and the SLA has run out by the as-of date; sales)
--   disqualified_after_contact  accepted (sal_at), then disqualified without reaching SQL: no_response_after_contact,
--                               no_budget, no_authority, timing… (sales' qualification; shared)
--   still_open                  none of the above yet: worked in time and waiting for a decision, or
--                               accepted and still being qualified
-- The SLA clock here is wall-clock hours, tiered by score as in data/sla_policies.toml (the SLA page
-- counts business hours). Rates: share of the MQLs lost (lost_share_rate) and of all MQLs (mql_rate).
-- $start               date = null         window start, inclusive; NULL = no lower bound
-- $end                 date = null         window end, exclusive; NULL = no upper bound
-- $sla_hours           double = 24         follow-up SLA in hours
-- $priority_score      integer = 80        leads scoring at least this get the priority SLA
-- $priority_sla_hours  double = 1          follow-up SLA in hours for priority leads
-- $segments   text[] = null                 lead segments to keep; NULL = all
-- $regions    text[] = null                 lead regions to keep; NULL = all
-- $channels   text[] = null                 original source channels to keep; NULL = all
-- $teams      text[] = null                 who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null                 lead owner person_ids; NULL = all
-- $campaigns  text[] = null                 source campaign_ids; NULL = all
with
-- lead_milestones carries the lead's own columns too: no join back to leads.
milestones as (
    select * from lead_milestones
),

reasons as (
    select * from (values
        (1, 'not_a_fit', 'Rejected: not a fit', 'marketing'),
        (2, 'data_or_routing', 'Rejected: data or routing', 'shared'),
        (3, 'other_rejection', 'Rejected: other reason', 'shared'),
        (4, 'not_worked_in_sla', 'Not worked within the SLA', 'sales'),
        (5, 'disqualified_after_contact', 'Disqualified after contact', 'shared'),
        (6, 'still_open', 'Still open', 'shared')
    ) as r (reason_order, loss_reason, label, lever)
),

as_of as (
    select coalesce(
        (select try_cast(value as date) from handoff_meta where key = 'as_of'),
        (select max(created_at)::date from milestones)
    ) + 1 as as_of_end
),

mqls as (
    select
        m.lead_id,
        m.sal_at,
        m.disqualified_at,
        m.disqualify_reason,
        m.reached_sql,
        m.first_sales_touch_at,
        m.mql_at + to_microseconds(
            (case when coalesce(m.score, 0) >= $priority_score then $priority_sla_hours else $sla_hours end
             * 3600e6)::bigint
        ) as follow_up_due_at
    from milestones as m
    where m.mql_at is not null
        and ($start is null or m.mql_at >= $start)
        and ($end is null or m.mql_at < $end)
        and
            -- @include lead_filters
),

classified as (
    select
        case
            when reached_sql then null
            when sal_at is null and disqualified_at is not null then
                case
                    when disqualify_reason in ('not_a_fit', 'no_budget') then 'not_a_fit'
                    when disqualify_reason in ('bad_contact_data', 'duplicate', 'wrong_territory') then 'data_or_routing'
                    else 'other_rejection'
                end
            when sal_at is not null and disqualified_at is not null then 'disqualified_after_contact'
            when sal_at is null
                and (first_sales_touch_at > follow_up_due_at
                     or (first_sales_touch_at is null and follow_up_due_at < (select as_of_end from as_of)))
                then 'not_worked_in_sla'
            else 'still_open'
        end as loss_reason
    from mqls
),

final as (
    select
        r.loss_reason,
        r.reason_order,
        r.label,
        r.lever,
        count(c.loss_reason) as lead_count,
        count(c.loss_reason) / nullif((select count(*) from classified where loss_reason is not null), 0)
            as lost_share_rate,
        count(c.loss_reason) / nullif((select count(*) from classified), 0) as mql_rate
    from reasons as r
    left join classified as c using (loss_reason)
    group by all
)

select * from final
order by reason_order
