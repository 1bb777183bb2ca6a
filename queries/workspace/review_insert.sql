-- A new review of a period, open until it is closed.
insert into reviews (title, review_date, period_start, period_end, filters_json, created_by, created_at)
values (:title, :review_date, :period_start, :period_end, :filters_json, :who, :at)
returning *
