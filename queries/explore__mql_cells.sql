-- explore__mql_cells
-- One row per lead that became an MQL in the window (what speed to lead and the follow-up SLA
-- count in the pivot) with its pivot cell: dim1_value and dim2_value as explore__pivot gives them
-- (a time dimension takes the MQL's month or quarter). The MQL rows of explore__cell_members
-- (counted_for mql), without the work of listing every other member: explore__pivot_sla reads it.
-- In sla__mqls' order (mql_at, then lead_id), so the two line up row for row.
-- $start      date = null     window start, inclusive; NULL = no lower bound
-- $end        date = null     window end, exclusive; NULL = no upper bound
-- $segments   text[] = null   lead segments to keep; NULL = all
-- $regions    text[] = null   lead regions to keep; NULL = all
-- $channels   text[] = null   original source channels to keep; NULL = all
-- $teams      text[] = null   who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null   lead owner person_ids; NULL = all
-- $campaigns  text[] = null   source campaign_ids; NULL = all
-- $mode       text in (cohort, period) = cohort   funnel counts: cohort of leads created in the window, or entries in it
-- $dim1       text in (none, channel, campaign, segment, region, industry, company_size, owner, team, created_month, created_quarter, score_band, response_time_band) = channel   first dimension
-- $dim2       text in (none, channel, campaign, segment, region, industry, company_size, owner, team, created_month, created_quarter, score_band, response_time_band) = none   second dimension
with
-- @include explore_scope

-- Only the MQL events: the funnel's stage entries and the deals are pruned from the plan.
final as (
    select lead_id, dim1_value, dim2_value, mql_at
    from dimensioned
    where event = 'mql'
)

select lead_id, dim1_value, dim2_value from final
order by mql_at, lead_id
