-- data__import_files
-- One row per file the last import read: the file, which export of the mapping it was taken for, how
-- many data rows it held, how it was read (encoding, delimiter), the mapping and when it was imported.
-- No rows for a database that was not imported (the demo).
with
meta as (
    select
        max(value) filter (where key = 'import_files') as files_json,
        max(value) filter (where key = 'import_mapping') as mapping_name,
        max(value) filter (where key = 'imported_at') as imported_at
    from handoff_meta
),

files as (
    select
        unnest(from_json(files_json, '[{"file_name": "VARCHAR", "source_name": "VARCHAR", "rows_read": "BIGINT",
                                        "encoding": "VARCHAR", "delimiter": "VARCHAR"}]')) as file,
        mapping_name,
        imported_at
    from meta
    where files_json is not null
),

final as (
    select
        file.file_name,
        file.source_name,
        file.rows_read,
        file.encoding,
        file.delimiter,
        mapping_name,
        try_cast(imported_at as timestamp) as imported_at
    from files
)

select * from final
