-- A note dropped (or brought back): its status, never the row.
update notes set status = :status where note_id = :note_id
returning *
