-- The window's MQLs that pass the shared lead filters, one row per MQL with its policy-independent
-- facts (queries/derived/sla_mql_facts.sql, built in mql_number = (mql_at, lead_id) order and
-- read without sorting again: DuckDB keeps insertion order, and handoff.sla checks it).
window_mqls as (
    select *
    from sla_mql_facts
    where ($start is null or mql_at >= $start)
      and ($end is null or mql_at < $end)
      and
        -- @include lead_filters
),
