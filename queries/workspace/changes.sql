-- The changes to one note, action or review, oldest first.
select * from changes where entity = :entity and entity_id = :entity_id order by change_id
