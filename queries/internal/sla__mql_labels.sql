-- sla__mql_labels
-- One row per MQL in the window, the rows of sla__mql_clock in the same order (mql_number): one
-- pair of text columns picked by $label, so an SLA query fetches only the text it shows. owner:
-- key_text = owner_id, label_text = owner_name; lead: lead_id and segment; channel: the source
-- channel twice; campaign: source_campaign_id and the campaign's name.
-- $label      text in (owner, lead, channel, campaign) = owner  which pair of text columns
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

final as (
    select
        mql_number,
        case $label
            when 'owner' then owner_id
            when 'lead' then lead_id
            when 'channel' then channel
            else source_campaign_id
        end as key_text,
        case $label
            when 'owner' then owner_name
            when 'lead' then segment
            when 'channel' then channel
            else campaign_name
        end as label_text
    from window_mqls
)

select * from final
