-- explore__schema_columns
-- One row per column of each table the SQL console can read (the schema browser): the table, what
-- kind of table it is (canonical data, derived from it, or the file's own metadata), the column,
-- its type and its position.
with
columns as (
    select * from information_schema.columns
    where table_catalog = current_database() and table_schema = 'main'
),

final as (
    select
        table_name,
        case
            when table_name in ('people', 'campaigns', 'leads', 'touches', 'deals', 'targets') then 'canonical'
            when table_name = 'handoff_meta' then 'metadata'
            else 'derived'
        end as table_kind,
        column_name,
        data_type,
        ordinal_position as column_order
    from columns
)

select * from final
order by
    case table_kind when 'canonical' then 1 when 'derived' then 2 else 3 end,
    case table_name
        when 'people' then 1 when 'campaigns' then 2 when 'leads' then 3
        when 'touches' then 4 when 'deals' then 5 when 'targets' then 6
    end,
    table_name,
    column_order
