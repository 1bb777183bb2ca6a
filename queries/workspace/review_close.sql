-- A review closed: what it showed, kept as it was; only an open one.
update reviews
set status = 'closed', closed_by = :who, closed_at = :at, as_of = :as_of, db_fingerprint = :db_fingerprint,
    agenda_json = :agenda_json, figures_json = :figures_json, pack_html = :pack_html
where review_id = :review_id and status = 'open'
returning *
