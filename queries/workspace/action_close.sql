-- An action done or dropped, with the closing comment; only an open one.
update actions
set status = :status, closing_comment = :comment, closed_by = :who, closed_at = :at
where action_id = :action_id and status = 'open'
returning *
