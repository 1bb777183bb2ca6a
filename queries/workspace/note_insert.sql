-- A new note on a metric, policy, campaign or channel at a day or month.
insert into notes (subject_kind, subject_id, on_date, is_month, body, review_id, created_by, created_at)
values (:subject_kind, :subject_id, :on_date, :is_month, :body, :review_id, :who, :at)
returning *
