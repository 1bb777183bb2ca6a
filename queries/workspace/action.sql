-- One action by id.
select * from actions where action_id = :action_id
