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
handed_over as (
    select l.*
    from leads as l
    join lead_milestones as m using (lead_id)
    where m.reached_mql
      and l.disqualified_at is not null
      and ($start is null or l.created_at >= $start)
      and ($end is null or l.created_at < $end)
      and ($segments is null or list_contains($segments, l.segment))
      and ($regions is null or list_contains($regions, l.region))
      and ($channels is null or list_contains($channels, l.channel))
      and ($teams is null or list_contains($teams, l.sourced_by))
      and ($owners is null or list_contains($owners, l.owner_id))
      and ($campaigns is null or list_contains($campaigns, l.source_campaign_id))
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
