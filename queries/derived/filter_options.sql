-- filter_options: one row per (dimension, value) a shared filter can take, with its label and how
-- many leads carry it (what filters__options returns). It depends only on the file, and every page
-- draws the filter bar from it: computed once when the file is written, not on every page load.
create or replace table filter_options as
with
lead_values as (
    select 'segment' as dimension, segment as value, segment as label, count(*) as lead_count
    from leads group by all
    union all
    select 'region', region, region, count(*) from leads group by all
    union all
    select 'channel', channel, channel, count(*) from leads group by all
    union all
    select 'team', sourced_by, sourced_by, count(*) from leads group by all
),

owners as (
    select 'owner' as dimension, p.person_id as value, p.name || ' (' || p.role || ')' as label,
           count(l.lead_id) as lead_count
    from people as p
    left join leads as l on l.owner_id = p.person_id
    where p.team = 'sales'
    group by all
    having count(l.lead_id) > 0
),

campaign_values as (
    select 'campaign' as dimension, c.campaign_id as value, c.name as label,
           count(l.lead_id) as lead_count
    from campaigns as c
    left join leads as l on l.source_campaign_id = c.campaign_id
    group by all
),

final as (
    select * from lead_values where value is not null
    union all
    select * from owners
    union all
    select * from campaign_values
)

select * from final
order by dimension, lead_count desc, value;
