-- The actions, open ones first, then by due date: every one, or those of a status.
select *
from actions
where (:status is null or status = :status)
order by status != 'open', due_date, action_id
