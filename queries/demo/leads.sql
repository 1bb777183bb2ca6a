-- The demo's leads as drawn (the DataFrame registered as `frame`), with their text ids.
-- Ids are formatted here, not in Python: much faster than building millions of strings, and
-- printf widens past seven digits where lpad would cut the number short.
select printf('L%07d', lead_number), created_at, channel, source_campaign_id, sourced_by,
       segment, region, industry, company_size, score, mql_at, sal_at, sql_at, disqualified_at,
       disqualify_reason, owner_id
from frame
