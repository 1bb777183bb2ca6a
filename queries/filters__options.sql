-- filters__options
-- The values each shared filter can take, from the data: one row per (dimension, value), with a
-- label to show and how many leads carry the value. Dimensions: segment, region, channel, team
-- (who sourced the lead), owner (lead owner), campaign (source campaign).
-- Computed when the file is written (queries/derived/filter_options.sql).
with
options as (
    select * from filter_options
),

final as (
    select dimension, value, label, lead_count
    from options
)

select * from final
order by dimension, lead_count desc, value
