-- explore__mql_cells
-- One row per lead that became an MQL in the window (what speed to lead and the follow-up SLA
-- count in the pivot) with its pivot cell: dim1_value and dim2_value as explore__pivot gives them
-- (a time dimension takes the MQL's month or quarter). The MQL rows of explore__cell_members
-- (counted_for mql), read from the SLA's MQL facts instead of the pivot's events: explore__pivot_sla
-- reads it. mql_number is the MQL's place in (mql_at, lead_id) order, the rows are in that order,
-- and they are the rows of sla__mql_clock for the same filters.
-- $start      date = null     window start, inclusive; NULL = no lower bound
-- $end        date = null     window end, exclusive; NULL = no upper bound
-- $segments   text[] = null   lead segments to keep; NULL = all
-- $regions    text[] = null   lead regions to keep; NULL = all
-- $channels   text[] = null   original source channels to keep; NULL = all
-- $teams      text[] = null   who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null   lead owner person_ids; NULL = all
-- $campaigns  text[] = null   source campaign_ids; NULL = all
-- $mode       text in (cohort, period) = cohort   the pivot's counting mode; an MQL's cell is the same in both
-- $dim1       text in (none, channel, campaign, segment, region, industry, company_size, owner, team, created_month, created_quarter, score_band, response_time_band) = channel   first dimension
-- $dim2       text in (none, channel, campaign, segment, region, industry, company_size, owner, team, created_month, created_quarter, score_band, response_time_band) = none   second dimension
with
-- An MQL event's cell does not depend on the mode (it is stamped with mql_at either way).
counting_mode as (
    select $mode as mode
),

-- @include window_mqls

-- One row per MQL with the lead attributes the dimensions read: 60,000 rows a quarter instead of the
-- pivot's every event.
events as (
    select
        'mql' as event,
        mql_at as event_at,
        mql_number,
        lead_id,
        mql_at,
        score,
        speed_to_lead_hours,
        channel,
        source_campaign_id,
        segment,
        region,
        industry,
        company_size,
        owner_id,
        sourced_by
    from window_mqls
),

-- @include explore_dimensions

final as (
    select mql_number, lead_id, dim1_value, dim2_value
    from dimensioned
)

select * from final
order by mql_number
