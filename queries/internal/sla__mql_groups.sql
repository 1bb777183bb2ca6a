-- sla__mql_groups
-- One row per owner, source channel, source campaign or segment (picked by $group) among the window's
-- MQLs, in the order each first appears in sla__mql_clock: its key_text and label_text (owner:
-- owner_id and owner_name; channel: the channel twice; campaign: source_campaign_id and the
-- campaign's name; segment: the segment twice) and the mql_numbers of its MQLs. A query reads each
-- name once instead of once an MQL.
-- $group      text in (owner, channel, campaign, segment) = owner  what to group the MQLs by
-- $start      date = null     window start on mql_at (inclusive)
-- $end        date = null     window end on mql_at (exclusive)
-- $segments   text[] = null   lead segments; NULL = all
-- $regions    text[] = null   lead regions; NULL = all
-- $channels   text[] = null   lead source channels; NULL = all
-- $teams      text[] = null   who sourced the lead (marketing, sales); NULL = all
-- $owners     text[] = null   lead owners (person_id); NULL = all
-- $campaigns  text[] = null   source campaigns; NULL = all
-- $policies   text = null     the policy text every sla__* query takes; these rows do not depend on it
with
-- Judging happens in handoff.sla: the rows are the same whatever the policies say.
policy_text as (
    select $policies as policies
),

-- @include window_mqls

mqls as (
    select
        mql_number,
        case $group
            when 'owner' then owner_id
            when 'channel' then channel
            when 'campaign' then source_campaign_id
            else segment
        end as key_text,
        case $group
            when 'owner' then owner_name
            when 'channel' then channel
            when 'campaign' then campaign_name
            else segment
        end as label_text
    from window_mqls
),

final as (
    select
        key_text,
        label_text,
        list(mql_number order by mql_number) as mql_numbers,
        min(mql_number) as first_mql_number
    from mqls
    group by key_text, label_text
)

select key_text, label_text, mql_numbers from final
order by first_mql_number
