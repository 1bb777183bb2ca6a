-- The demo's touches as drawn (the DataFrame registered as `frame`), with their text ids.
select printf('T%08d', touch_number), printf('L%07d', lead_number),
       campaign_id::text, channel::text, team::text, kind::text, touched_at, person_id::text
from frame
