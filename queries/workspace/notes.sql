-- The notes, oldest day first: every one, or those of a kind, on the days [:start, :end), active only
-- unless :with_dropped.
select *
from notes
where (:subject_kind is null or subject_kind = :subject_kind)
  and (:start is null or on_date >= :start)
  and (:end is null or on_date < :end)
  and (:with_dropped or status = 'active')
order by on_date, note_id
