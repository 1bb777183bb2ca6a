-- explore__cell_members
-- One row per record behind the chosen pivot cells, per what it is counted for and in which cell:
-- leads (record_kind lead) counted in the funnel (counted_for funnel) or as an MQL of the window
-- (mql: speed to lead, SLA), deals (record_kind deal) created in the window (pipeline) or closed in
-- it (closed: bookings, win rate). Cells are (dim1_value, dim2_value) pairs from explore__pivot,
-- given as two lists of equal length; NULL lists = every cell. Same scope, events and dimensions
-- as explore__pivot.
-- $start        date = null     window start, inclusive; NULL = no lower bound
-- $end          date = null     window end, exclusive; NULL = no upper bound
-- $segments     text[] = null   lead segments to keep; NULL = all
-- $regions      text[] = null   lead regions to keep; NULL = all
-- $channels     text[] = null   original source channels to keep; NULL = all
-- $teams        text[] = null   who sourced the lead (marketing, sales); NULL = all
-- $owners       text[] = null   lead owner person_ids; NULL = all
-- $campaigns    text[] = null   source campaign_ids; NULL = all
-- $mode         text in (cohort, period) = cohort   funnel counts: cohort of leads created in the window, or entries in it
-- $dim1         text in (none, channel, campaign, segment, region, industry, company_size, owner, team, created_month, created_quarter, score_band, response_time_band) = channel   first dimension
-- $dim2         text in (none, channel, campaign, segment, region, industry, company_size, owner, team, created_month, created_quarter, score_band, response_time_band) = none   second dimension
-- $dim1_values  text[] = null   dim1_value of each chosen cell; NULL = every cell
-- $dim2_values  text[] = null   dim2_value of each chosen cell, paired with $dim1_values by position
with
-- @include explore_scope
-- @include explore_dimensions

chosen_cells as (
    select unnest($dim1_values) as dim1_value, unnest($dim2_values) as dim2_value
),

-- The events of the chosen cells; every event when none are chosen (the join is then skipped).
chosen_events as (
    select * from dimensioned
    where $dim1_values is null

    union all

    select d.*
    from dimensioned as d
    semi join chosen_cells as c
        on c.dim1_value = d.dim1_value and c.dim2_value is not distinct from d.dim2_value
    where $dim1_values is not null
),

members as (
    select
        case when event in ('stage', 'mql') then 'lead' else 'deal' end as record_kind,
        case when event in ('stage', 'mql') then lead_id else deal_id end as record_id,
        case event
            when 'stage' then 'funnel'
            when 'mql' then 'mql'
            when 'deal_created' then 'pipeline'
            else 'closed'
        end as counted_for,
        dim1_value,
        dim2_value,
        event,
        stage_order
    from chosen_events
),

-- A cohort lead has the same cell at every stage (each stage takes its creation): its first stage
-- lists it. In period mode a lead that entered several stages in one cell is listed once. Nothing
-- else can repeat (one MQL per lead, one creation and one close per deal): no distinct over it.
final as (
    select record_kind, record_id, counted_for, dim1_value, dim2_value
    from members
    where event != 'stage' or ($mode = 'cohort' and stage_order = 1)

    union all

    select distinct record_kind, record_id, counted_for, dim1_value, dim2_value
    from members
    where event = 'stage' and $mode = 'period'
)

select * from final
order by record_kind, record_id, counted_for, dim1_value, dim2_value
