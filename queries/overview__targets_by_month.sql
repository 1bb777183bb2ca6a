-- overview__targets_by_month
-- One row per (team, metric, month): the monthly target that applies to the chosen filters.
-- Targets are set for every segment (segment NULL) or per segment; with segments selected, a
-- metric has a target only when each selected segment has one (their sum). Other filters (region,
-- channel, sourcing team, owner, campaign) have no targets, so the query returns no rows for them.
-- With $by_segment, one row per segment instead (segment set), for the segments selected or all.
-- $by_segment boolean = false  one row per segment rather than their sum
-- $segments   text[] = null   lead segments to keep
-- $regions    text[] = null   lead regions to keep
-- $channels   text[] = null   lead source channels to keep
-- $teams      text[] = null   who sourced the lead
-- $owners     text[] = null   lead owners to keep
-- $campaigns  text[] = null   source campaigns to keep
with
applicable as (
    select *
    from targets
    where $regions is null and $channels is null and $teams is null and $owners is null and $campaigns is null
      and case
          when $by_segment then segment is not null and ($segments is null or list_contains($segments, segment))
          else ($segments is null and segment is null) or ($segments is not null and list_contains($segments, segment))
      end
),

segment_coverage as (
    select team, metric, period_start, count(distinct segment) as segments_with_target
    from applicable
    group by all
),

final as (
    select
        a.team,
        a.metric,
        case when $by_segment then a.segment end as segment,
        a.period_start as month_start,
        sum(a.value)::double as target_value
    from applicable as a
    join segment_coverage as c using (team, metric, period_start)
    where $by_segment or $segments is null or c.segments_with_target = len(list_distinct($segments))
    group by all
)

select * from final
order by team, metric, segment, month_start
