-- campaigns__rejection_reasons
-- One row per (outcome, reason): what sales said about the leads of the chosen campaigns, for
-- leads created in the window that reached MQL or SAL and were then disqualified. Outcome is
-- "rejected at handoff" (never accepted) or "disqualified after acceptance".
-- $start      date   = null   window start (lead created), inclusive
-- $end        date   = null   window end (lead created), exclusive
-- $segments   text[] = null   lead segments to keep
-- $regions    text[] = null   lead regions to keep
-- $channels   text[] = null   lead source channels to keep
-- $teams      text[] = null   who sourced the lead
-- $owners     text[] = null   lead owners to keep
-- $campaigns  text[] = null   source campaigns to keep
with
-- lead_milestones carries the lead's filter columns and sales' decision and is stored in created_at
-- order: the window skips most of it, and no join back to leads.
handed_over as (
    select sal_at, disqualify_reason
    from lead_milestones
    -- Handed over to sales: an MQL, or a sales-sourced lead that joined at SAL.
    where (reached_mql or reached_sal)
      and disqualified_at is not null
      and ($start is null or created_at >= $start)
      and ($end is null or created_at < $end)
      and
          -- @include lead_filters
),

final as (
    select
        case when sal_at is null then 'rejected at handoff' else 'disqualified after acceptance' end as outcome,
        coalesce(disqualify_reason, '(no reason given)') as disqualify_reason,
        count(*) as lead_count,
        count(*) / sum(count(*)) over () as share_rate
    from handed_over
    group by all
)

select * from final
order by outcome desc, lead_count desc, disqualify_reason
