-- data__import_problems
-- One row per example of each problem the last import recorded: warnings (the rows loaded) and, when
-- it set rows with errors aside, those. Each row repeats its problem (what, where, how many rows had it,
-- what was expected) and gives one example's file, row (the header is row 1), source column and value;
-- at most 20 examples per problem. No rows for a database that was not imported (the demo).
-- $severity  text in (warning, rejected) = null  warnings only, or rows set aside only; NULL = both
with
recorded as (
    select value as problems_json
    from handoff_meta
    where key = 'import_problems'
),

problems as (
    select unnest(from_json(problems_json, '[{
        "problem_order": "INTEGER", "severity": "VARCHAR", "kind": "VARCHAR", "problem": "VARCHAR",
        "table_name": "VARCHAR", "column_name": "VARCHAR", "expected": "VARCHAR", "problem_count": "BIGINT",
        "samples": [{"file_name": "VARCHAR", "row_number": "BIGINT", "source_column": "VARCHAR", "value": "VARCHAR"}]
    }]')) as problem
    from recorded
),

examples as (
    select problem, unnest(problem.samples) as example
    from problems
),

final as (
    select
        problem.problem_order,
        problem.severity,
        problem.kind,
        problem.problem,
        problem.table_name,
        problem.column_name,
        problem.expected,
        problem.problem_count,
        example.file_name,
        example.row_number,
        example.source_column,
        example.value
    from examples
    where $severity is null or problem.severity = $severity
)

select * from final
order by problem_order, file_name, row_number
