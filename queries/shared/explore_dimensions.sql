-- Each event's pivot cell (explore__pivot, explore__cell_members and explore__mql_cells include this
-- after their `events` CTE): CTEs `facts` and `dimensioned`, one row per event with dim1_value,
-- dim2_value, their labels and sort keys. `events` gives event_at, score, mql_at,
-- speed_to_lead_hours and the lead attributes the dimensions name.
-- [shared dimensions]
facts as (
    select
        e.*,
        c.name as campaign_name,
        p.name as owner_name,
        -- Each dimension's value, label and sort key, picked below by the bound $dim1 / $dim2.
        strftime(e.event_at, '%Y-%m') as month_value,
        year(e.event_at) || '-Q' || quarter(e.event_at) as quarter_value,
        case
            when e.score is null then '(no score)'
            when e.score >= 80 then '80–100'
            when e.score >= 60 then '60–79'
            when e.score >= 40 then '40–59'
            else '0–39'
        end as score_band,
        case when e.score is null then 5 when e.score >= 80 then 4 when e.score >= 60 then 3 when e.score >= 40 then 2 else 1 end
            as score_band_order,
        case
            when e.mql_at is null then '(not an MQL)'
            when e.speed_to_lead_hours is null then 'no response yet'
            when e.speed_to_lead_hours < 1 then '< 1 h'
            when e.speed_to_lead_hours < 4 then '1–4 h'
            when e.speed_to_lead_hours < 24 then '4–24 h'
            when e.speed_to_lead_hours < 72 then '1–3 d'
            else '3 d or more'
        end as response_time_band,
        case
            when e.mql_at is null then 7
            when e.speed_to_lead_hours is null then 6
            when e.speed_to_lead_hours < 1 then 1
            when e.speed_to_lead_hours < 4 then 2
            when e.speed_to_lead_hours < 24 then 3
            when e.speed_to_lead_hours < 72 then 4
            else 5
        end as response_time_band_order
    from events as e
    left join people as p on p.person_id = e.owner_id
    left join campaigns as c on c.campaign_id = e.source_campaign_id
),

dimensioned as (
    select
        case $dim1
            when 'channel' then channel
            when 'campaign' then coalesce(source_campaign_id, '')
            when 'segment' then segment
            when 'region' then region
            when 'industry' then coalesce(industry, '')
            when 'company_size' then coalesce(company_size, '')
            when 'owner' then coalesce(owner_id, '')
            when 'team' then sourced_by
            when 'created_month' then month_value
            when 'created_quarter' then quarter_value
            when 'score_band' then score_band
            when 'response_time_band' then response_time_band
            else ''
        end as dim1_value,
        case $dim1
            when 'campaign' then coalesce(campaign_name, '(no campaign)')
            when 'industry' then coalesce(industry, '(none)')
            when 'company_size' then coalesce(company_size, '(none)')
            when 'owner' then coalesce(owner_name, '(unassigned)')
            when 'none' then 'All'
        end as dim1_label,
        case $dim1
            when 'company_size' then coalesce(try_cast(regexp_extract(company_size, '^\d+') as integer), 1e9)
            when 'created_month' then epoch(date_trunc('month', event_at))
            when 'created_quarter' then epoch(date_trunc('quarter', event_at))
            when 'score_band' then score_band_order
            when 'response_time_band' then response_time_band_order
        end as dim1_sort,
        case $dim2
            when 'channel' then channel
            when 'campaign' then coalesce(source_campaign_id, '')
            when 'segment' then segment
            when 'region' then region
            when 'industry' then coalesce(industry, '')
            when 'company_size' then coalesce(company_size, '')
            when 'owner' then coalesce(owner_id, '')
            when 'team' then sourced_by
            when 'created_month' then month_value
            when 'created_quarter' then quarter_value
            when 'score_band' then score_band
            when 'response_time_band' then response_time_band
            else ''
        end as dim2_value,
        case $dim2
            when 'campaign' then coalesce(campaign_name, '(no campaign)')
            when 'industry' then coalesce(industry, '(none)')
            when 'company_size' then coalesce(company_size, '(none)')
            when 'owner' then coalesce(owner_name, '(unassigned)')
            when 'none' then 'All'
        end as dim2_label,
        case $dim2
            when 'company_size' then coalesce(try_cast(regexp_extract(company_size, '^\d+') as integer), 1e9)
            when 'created_month' then epoch(date_trunc('month', event_at))
            when 'created_quarter' then epoch(date_trunc('quarter', event_at))
            when 'score_band' then score_band_order
            when 'response_time_band' then response_time_band_order
        end as dim2_sort,
        *
    from facts
),
-- [end shared dimensions]
