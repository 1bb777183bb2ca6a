-- The demo's deals as drawn (the DataFrame registered as `frame`), with their text ids.
select printf('D%07d', deal_number), printf('L%07d', lead_number), created_at,
       closed_at, stage, round(amount, 2)::decimal(18, 2), owner_id, lost_reason, product
from frame
