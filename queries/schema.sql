-- Handoff canonical schema (the version is db.SCHEMA_VERSION, recorded in handoff_meta).
-- Timestamps are UTC (TIMESTAMP without zone); money is DECIMAL(18,2); ids are text.
-- Tables are created parents first so every foreign key can resolve.

create table handoff_meta (
    key   text primary key,
    value text not null
);

create table people (
    person_id  text primary key,
    name       text not null,
    team       text not null check (team in ('marketing', 'sales')),
    role       text not null,
    region     text,
    -- A self-reference cannot be bulk-loaded in one statement by DuckDB, so the importer checks it.
    manager_id text
);

create table campaigns (
    campaign_id text primary key,
    name        text not null,
    channel     text not null,
    owner_team  text not null check (owner_team in ('marketing', 'sales')),
    start_date  date not null,
    end_date    date,
    budget      decimal(18, 2),
    cost        decimal(18, 2) not null default 0 check (cost >= 0)
);

create table leads (
    lead_id            text primary key,
    created_at         timestamp not null,
    channel            text not null,
    source_campaign_id text references campaigns (campaign_id),
    sourced_by         text not null check (sourced_by in ('marketing', 'sales')),
    segment            text not null,
    region             text not null,
    industry           text,
    company_size       text,
    score              integer check (score between 0 and 100),
    mql_at             timestamp,
    sal_at             timestamp,
    sql_at             timestamp,
    disqualified_at    timestamp,
    disqualify_reason  text,
    owner_id           text references people (person_id),
    lead_name          text,  -- the person, as the CRM names them: what a queue shows beside the id
    company_name       text
);

-- Touches' references (lead_id → leads, campaign_id → campaigns, person_id → people) are checked
-- in bulk by every writer (db.check_touch_references, reading data_health_failures) instead of row by row: per-row checks
-- cost 22 of the 29 seconds of writing 5 million touches.
create table touches (
    touch_id    text primary key,
    lead_id     text not null,
    campaign_id text,
    channel     text not null,
    team        text not null check (team in ('marketing', 'sales')),
    kind        text not null,
    touched_at  timestamp not null,
    -- Who made a person-to-person touch (a call, a meeting); NULL for campaign touches.
    person_id   text
);

create table deals (
    deal_id     text primary key,
    lead_id     text not null references leads (lead_id),
    created_at  timestamp not null,
    closed_at   timestamp,
    stage       text not null check (stage in ('open', 'won', 'lost')),
    amount      decimal(18, 2) not null check (amount >= 0),
    owner_id    text references people (person_id),
    lost_reason text,
    product     text
);

create table targets (
    period_start date not null,
    team         text not null check (team in ('marketing', 'sales')),
    metric       text not null,
    -- NULL means the target covers every segment.
    segment      text,
    value        decimal(18, 2) not null
);
