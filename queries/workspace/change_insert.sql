-- One change to a note, action or review: who, when, before and after.
insert into changes (entity, entity_id, change, before_json, after_json, changed_by, changed_at)
values (:entity, :entity_id, :change, :before_json, :after_json, :who, :at)
