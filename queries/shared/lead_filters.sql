-- The shared lead filters (NULL = all): segment, region, source channel, who sourced the lead,
-- owner, source campaign; on rows that carry the lead's columns under these names.
($segments is null or list_contains($segments, segment))
and ($regions is null or list_contains($regions, region))
and ($channels is null or list_contains($channels, channel))
and ($teams is null or list_contains($teams, sourced_by))
and ($owners is null or list_contains($owners, owner_id))
and ($campaigns is null or list_contains($campaigns, source_campaign_id))
