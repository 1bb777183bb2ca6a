-- A new agreed action, with the figure it should move as it stood when agreed.
insert into actions (
    title, owner_team, owner_name, owner_email, due_date, metric_id, policy_id, baseline_value,
    baseline_as_of, review_id, created_by, created_at
)
values (
    :title, :owner_team, :owner_name, :owner_email, :due_date, :metric_id, :policy_id, :baseline_value,
    :baseline_as_of, :review_id, :who, :at
)
returning *
