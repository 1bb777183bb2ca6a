-- data__names
-- The names the data gives its ids, so people read a name where a record holds an id: one row per
-- person (kind 'person') and per campaign (kind 'campaign'), with `id` and `name`.
with
people_names as (
    select 'person' as kind, person_id as id, name from people
),

campaign_names as (
    select 'campaign' as kind, campaign_id as id, name from campaigns
),

final as (
    select * from people_names where name is not null
    union all
    select * from campaign_names where name is not null
)

select * from final
order by kind, id
