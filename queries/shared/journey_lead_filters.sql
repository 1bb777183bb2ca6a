-- The shared lead filters (NULL = all) on attribution_journeys rows, whose lead columns carry a
-- lead_ prefix (its channel is the touch's): as lead_filters says them.
($segments is null or list_contains($segments, lead_segment))
and ($regions is null or list_contains($regions, lead_region))
and ($channels is null or list_contains($channels, lead_channel))
and ($teams is null or list_contains($teams, lead_sourced_by))
and ($owners is null or list_contains($owners, lead_owner_id))
and ($campaigns is null or list_contains($campaigns, lead_source_campaign_id))
