-- One review by id (without its stored pack).
select review_id, title, review_date, period_start, period_end, filters_json, status, created_by,
       created_at, closed_by, closed_at, as_of, db_fingerprint, agenda_json, figures_json
from reviews
where review_id = :review_id
