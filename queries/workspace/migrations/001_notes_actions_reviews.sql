-- Workspace schema 1: the users' own work, kept apart from the analytics database (which an import
-- replaces whole). Nothing is deleted: a note or action is dropped by its status, and every change
-- is a row of `changes` (who, when, what it was before and after).

create table notes (
    note_id integer primary key,
    -- What the note is about: a registry metric, an SLA policy, a campaign or a channel, by id.
    subject_kind text not null check (subject_kind in ('metric', 'policy', 'campaign', 'channel')),
    subject_id text not null,
    -- When it applies: a day, or a month (its first day); a marker on every chart of that time.
    on_date text not null,
    is_month integer not null default 0 check (is_month in (0, 1)),
    body text not null,
    status text not null default 'active' check (status in ('active', 'dropped')),
    review_id integer references reviews (review_id),
    created_by text not null,
    created_at text not null
);

create table actions (
    action_id integer primary key,
    title text not null,
    owner_team text not null check (owner_team in ('marketing', 'sales', 'shared')),
    owner_name text not null,
    owner_email text,
    due_date text not null,
    -- What it should move: a registry metric or an SLA policy (one of them, or neither).
    metric_id text,
    policy_id text,
    status text not null default 'open' check (status in ('open', 'done', 'dropped')),
    closing_comment text,
    -- The linked figure when the action was agreed, to compare with now.
    baseline_value real,
    baseline_as_of text,
    review_id integer references reviews (review_id),
    created_by text not null,
    created_at text not null,
    closed_by text,
    closed_at text
);

create table reviews (
    review_id integer primary key,
    title text not null,
    review_date text not null,
    period_start text not null,
    period_end text not null,
    filters_json text not null default '{}',
    status text not null default 'open' check (status in ('open', 'closed')),
    created_by text not null,
    created_at text not null,
    closed_by text,
    closed_at text,
    -- What the closed review showed, kept as it was: the data's as-of day, a fingerprint of the
    -- database file, the agenda and figures (JSON) and the meeting pack (zlib-compressed HTML).
    as_of text,
    db_fingerprint text,
    agenda_json text,
    figures_json text,
    pack_html blob
);

create table changes (
    change_id integer primary key,
    entity text not null check (entity in ('note', 'action', 'review')),
    entity_id integer not null,
    change text not null,
    before_json text,
    after_json text,
    changed_by text not null,
    changed_at text not null
);

create index notes_by_subject on notes (subject_kind, subject_id, on_date);
create index actions_by_status on actions (status, due_date);
create index changes_by_entity on changes (entity, entity_id, change_id);
