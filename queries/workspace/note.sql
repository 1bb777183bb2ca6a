-- One note by id.
select * from notes where note_id = :note_id
