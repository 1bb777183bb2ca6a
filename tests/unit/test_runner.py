"""The query runner: declared parameters, read-only access, the time limit and the cache."""

import datetime as dt
import os
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from handoff import cache, db, query_files
from handoff.errors import ParameterError, QueryError, QueryTimeout
from handoff.filters import Filters
from tests.fixtures import ts

PEOPLE = [{"person_id": "P1", "name": "Ada", "team": "sales", "role": "sdr", "region": "NA"}]
LEADS = [
    {
        "lead_id": "L1",
        "created_at": ts("2026-01-05 10:00"),
        "channel": "webinar",
        "sourced_by": "marketing",
        "segment": "smb",
        "region": "NA",
        "owner_id": "P1",
    },
    {
        "lead_id": "L2",
        "created_at": ts("2026-02-05 10:00"),
        "channel": "events",
        "sourced_by": "marketing",
        "segment": "enterprise",
        "region": "EMEA",
    },
]


@pytest.fixture
def queries_dir(tmp_path, monkeypatch):
    """A private queries/ folder so each test can declare the query it needs."""
    folder = tmp_path / "queries"
    folder.mkdir()
    monkeypatch.setattr(query_files, "QUERIES_DIR", folder)

    def write(name: str, sql: str) -> None:
        (folder / f"{name}.sql").write_text(sql)

    return write


COUNT_SQL = """-- test__lead_count
-- One row: leads created in the window.
-- $start     date                      window start, inclusive
-- $end       date                      window end, exclusive
-- $segments  text[] = null             segments to keep
-- $mode      text in (cohort, period) = cohort   which count
select count(*) as lead_count, $mode as mode
from leads
where ($start is null or created_at >= $start)
  and ($end is null or created_at < $end)
  and ($segments is null or list_contains($segments, segment))
"""


def test_header_declares_types_defaults_and_choices(queries_dir):
    queries_dir("test__lead_count", COUNT_SQL)
    spec = db.load_query("test__lead_count")
    assert spec.description == "One row: leads created in the window."
    assert [p.name for p in spec.params.values()] == ["start", "end", "segments", "mode"]
    assert spec.params["start"].required and not spec.params["segments"].required
    assert spec.params["mode"].default == "cohort"
    assert spec.params["mode"].choices == ("cohort", "period")


def test_filters_and_text_parameters_are_bound_not_pasted(queries_dir, make_db):
    queries_dir("test__lead_count", COUNT_SQL)
    path = make_db({"people": PEOPLE, "leads": LEADS})
    window = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 1))
    assert db.run_query("test__lead_count", window, db=path)["lead_count"].tolist() == [2]
    smb = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 1), segments=["smb"])
    assert db.run_query("test__lead_count", smb, db=path)["lead_count"].tolist() == [1]
    # Text from the command line is coerced to the declared types.
    frame = db.run_query("test__lead_count", db=path, start="2026-02-01", end="2026-03-01", mode="period")
    assert frame.to_dict("records") == [{"lead_count": 1, "mode": "period"}]
    hostile = db.run_query(
        "test__lead_count", db=path, start="2026-01-01", end="2026-03-01", segments="smb') or 1=1 --"
    )
    assert hostile["lead_count"].tolist() == [0]


def test_a_missing_parameter_is_named(queries_dir, make_db):
    queries_dir("test__lead_count", COUNT_SQL)
    path = make_db({})
    with pytest.raises(ParameterError, match="needs parameter start"):
        db.run_query("test__lead_count", db=path, end="2026-01-01")


def test_an_unknown_parameter_is_named_but_unused_shared_filters_are_dropped(queries_dir, make_db):
    queries_dir("test__lead_count", COUNT_SQL)
    path = make_db({})
    with pytest.raises(ParameterError, match="has no parameter colour; it takes: start, end, segments, mode"):
        db.run_query("test__lead_count", db=path, start=None, end=None, colour="red")
    # The page hands over every shared filter; regions is not used by this query and is dropped.
    frame = db.run_query("test__lead_count", Filters(regions=["NA"]), db=path, start=None, end=None)
    assert frame["lead_count"].tolist() == [0]


def test_a_value_outside_the_declared_choices_is_refused(queries_dir, make_db):
    queries_dir("test__lead_count", COUNT_SQL)
    with pytest.raises(ParameterError, match="mode='weekly' is not one of: cohort, period"):
        db.run_query("test__lead_count", db=make_db({}), start=None, end=None, mode="weekly")


def test_a_value_that_does_not_parse_is_refused(queries_dir, make_db):
    queries_dir("test__lead_count", COUNT_SQL)
    with pytest.raises(ParameterError, match="start='last tuesday' is not a valid date"):
        db.run_query("test__lead_count", db=make_db({}), start="last tuesday", end=None)


def test_an_undeclared_parameter_in_a_file_is_an_error(queries_dir):
    queries_dir("test__sloppy", "-- test__sloppy\n-- One row.\nselect $surprise as x\n")
    with pytest.raises(QueryError, match="undeclared parameters: surprise"):
        db.load_query("test__sloppy")


@pytest.mark.parametrize("name", ["../etc/passwd", "Funnel", "funnel;drop", "nope"])
def test_only_files_in_the_queries_folder_can_be_named(name):
    with pytest.raises(QueryError, match="unknown query"):
        db.load_query(name)


def test_the_connection_is_read_only_with_external_access_off(queries_dir, make_db):
    path = make_db({"people": PEOPLE})
    before = path.read_bytes()
    queries_dir(
        "test__write",
        "-- test__write\n-- Tries to write.\ninsert into people values ('P9', 'Eve', 'sales', 'sdr', 'NA', null)\n",
    )
    with pytest.raises(QueryError, match="read-only"):
        db.run_query("test__write", db=path)
    queries_dir(
        "test__read_file",
        "-- test__read_file\n-- Tries to read a file.\nselect * from read_csv('/etc/passwd')\n",
    )
    with pytest.raises(QueryError, match="disabled by configuration"):
        db.run_query("test__read_file", db=path)
    queries_dir("test__unlock", "-- test__unlock\n-- Tries to unlock.\nset enable_external_access = true\n")
    with pytest.raises(QueryError, match="locked"):
        db.run_query("test__unlock", db=path)
    assert path.read_bytes() == before


def test_a_runaway_query_is_interrupted(make_db):
    path = make_db({})
    with pytest.raises(QueryTimeout, match="ran past its 0.3 s time limit"):
        db.execute("select count(*) from range(1000000) a, range(1000000) b", db=path, timeout_s=0.3)
    # The connection is still usable afterwards.
    assert db.execute("select 41 + 1 as answer", db=path)["answer"].tolist() == [42]


def test_results_are_cached_until_the_file_changes(queries_dir, tmp_path):
    from tests.fixtures import write_db

    queries_dir("test__lead_count", COUNT_SQL)
    path = write_db(tmp_path / "swap.duckdb", {"people": PEOPLE, "leads": LEADS[:1]})
    first = db.run_query("test__lead_count", db=path, start=None, end=None)
    first.loc[0, "lead_count"] = 99  # callers get a copy, never the cached frame
    assert db.run_query("test__lead_count", db=path, start=None, end=None)["lead_count"].tolist() == [1]
    write_db(path, {"people": PEOPLE, "leads": LEADS})  # an import swaps a new file in
    assert db.run_query("test__lead_count", db=path, start=None, end=None)["lead_count"].tolist() == [2]


def test_the_database_path_comes_from_handoff_db(monkeypatch, make_db):
    path = make_db({})
    monkeypatch.setenv("HANDOFF_DB", str(path))
    assert db.resolve_db(None) == Path(os.environ["HANDOFF_DB"])
    assert db.read_meta()["schema_version"] == str(db.SCHEMA_VERSION)


def test_a_computed_query_is_declared_bound_and_cached_like_a_file(queries_dir, make_db, monkeypatch):
    queries_dir("test__lead_count", COUNT_SQL)
    calls = []

    @db.computed_query(
        "test__doubled", "One row: twice the lead count.", "-- $factor integer = 2   what to multiply by"
    )
    def doubled(params, db_path):
        calls.append(params)
        count = db.run_query("test__lead_count", db=db_path, start=None, end=None)["lead_count"].iloc[0]
        return __import__("pandas").DataFrame({"doubled": [count * params["factor"]]})

    try:
        path = make_db({"people": PEOPLE, "leads": LEADS})
        assert "test__doubled" in db.list_queries()
        assert db.run_query("test__doubled", Filters(regions=["NA"]), db=path)["doubled"].tolist() == [4]
        assert db.run_query("test__doubled", db=path, factor="3")["doubled"].tolist() == [6]
        db.run_query("test__doubled", db=path, factor="3")
        assert calls == [{"factor": 2}, {"factor": 3}]  # the third call came from the cache
        with pytest.raises(ParameterError, match="factor='x' is not a valid integer"):
            db.run_query("test__doubled", db=path, factor="x")
    finally:
        query_files._computed.pop("test__doubled")


def test_every_cache_shares_one_store_bounded_in_bytes_that_keeps_the_most_recent(monkeypatch):
    store = cache._Store(max_bytes=10_000)
    monkeypatch.setattr(cache, "STORE", store)
    results, verdicts = cache.Cache("results", sizer=cache.frame_bytes), cache.Cache("verdicts", max_items=2)
    frame = pd.DataFrame({"x": np.arange(400, dtype="int64")})  # 3,200 bytes of values + a small index
    size = int(frame.memory_usage(deep=True, index=True).sum())
    for key in "abc":
        results.put((key,), frame)
    assert store.bytes == 3 * size
    verdicts.put("v1", np.zeros(100, dtype="int8"))  # another cache, the same budget: "a" goes
    assert results.get(("a",)) is None and results.get(("b",)) is not None and len(results) == 2
    results.put(("huge",), pd.DataFrame({"x": np.arange(1_000, dtype="int64")}))  # over half the budget
    assert results.get(("huge",)) is None
    verdicts.put("v2", 1)
    verdicts.put("v3", 2)  # at most two of its own
    assert verdicts.get("v1") is None and verdicts.get("v3") == 2 and len(verdicts) == 2
    results.clear()
    assert len(results) == 0 and verdicts.get("v2") == 1


def test_a_returned_result_can_be_changed_without_touching_the_cached_one(queries_dir, tmp_path):
    from tests.fixtures import write_db

    queries_dir("test__lead_count", COUNT_SQL)
    path = write_db(tmp_path / "one.duckdb", {"people": PEOPLE, "leads": LEADS[:1]})
    first = db.run_query("test__lead_count", db=path, start=None, end=None)
    first["lead_count"] += 5
    first["extra"] = 1
    again = db.run_query("test__lead_count", db=path, start=None, end=None)
    assert list(again.columns) == ["lead_count", "mode"] and again["lead_count"].tolist() == [1]


FETCH_CASES = {
    "text with NULLs among other types": "select case when r % 3 = 0 then null else 'v' || r end as name, r::int as n, "
    "case when r = 1 then null else r end::bigint as maybe_n, (date '2026-01-01' + r::int) as day, "
    "(r / 4)::decimal(18, 2) as usd, r % 2 = 0 as flag, [r, r] as pair, {'k': 'x' || r} as nested, "
    "timestamp '2026-01-01 09:00' + to_hours(r) as at from range(7) t(r)",
    "text all NULL": "select null::varchar as name, r as n from range(3) t(r)",
    "no rows": "select 'a'::varchar as name, 1::int as n where false",
    "text only": "select 'a' || r as name, repeat('é', r::int) as other from range(4) t(r)",
    "no text": "select r as n, null::int as gap from range(3) t(r)",
    "NULLs in every kind": "select case when r = 1 then null else r end::tinyint as i8, "
    "case when r = 2 then null else r end::smallint as i16, case when r = 0 then null else r end::int as i32, "
    "case when r = 1 then null else r end::ubigint as u64, case when r = 1 then null else r % 2 = 0 end as flag, "
    "case when r = 1 then null when r = 2 then 'nan'::double else r / 3 end as ratio, "
    "case when r = 1 then null else r / 3 end::float as small, "
    "case when r = 1 then null else timestamp '2026-01-01' + to_minutes(r) end as at from range(4) t(r)",
    "all NULL in every kind": "select null::bigint as n, null::boolean as flag, null::double as x, "
    "null::timestamp as at, null::date as day from range(2) t(r)",
    "no rows of any kind": "select 1::bigint as n, true as flag, 1.5 as x, 2.5::double as y, timestamp '2026-01-01' as at, "
    "date '2026-01-01' as day, 'a' as name where false",
    "other timestamps": "select timestamptz '2026-01-01 10:00+00' as tz, timestamp_s '2026-01-01 10:00:01' as secs, "
    "timestamp_ns '2026-01-01 10:00:00.000000001' as nanos, interval (r) hour as span from range(2) t(r)",
    "many rows": "select r as n, 'x' || (r % 7) as name, r % 3 = 0 as flag, r / 7 as ratio, "
    "timestamp '2026-01-01' + to_seconds(r) as at from range(300000) t(r)",
}


@pytest.mark.parametrize("sql", FETCH_CASES.values(), ids=FETCH_CASES.keys())
def test_results_are_fetched_exactly_as_duckdb_converts_them(make_db, sql):
    # Most kinds go through Arrow for speed; the frame must equal DuckDB's own .df(), dtypes included.
    path = make_db({})
    expected = duckdb.connect().sql(sql).df()
    pd.testing.assert_frame_equal(db.execute(sql, db=path), expected, check_exact=True)


def test_the_common_kinds_skip_duckdbs_conversion():
    # The speed comes from these kinds not going back through .df(); the rest is left to it.
    sql = f"select *, date '2026-01-01' as day, 1.5 as usd from ({FETCH_CASES['NULLs in every kind']})"
    table = duckdb.connect().sql(sql).to_arrow_table()
    converted = {
        name: db._from_arrow(column) is not None for name, column in zip(table.column_names, table.columns)
    }
    assert converted == {
        "i8": True,
        "i16": True,
        "i32": True,
        "u64": True,
        "flag": True,
        "ratio": True,
        "small": True,
        "at": True,
        "day": True,
        "usd": False,
    }


def test_a_query_can_include_shared_ctes_and_their_parameters_are_checked(queries_dir, tmp_path):
    from tests.fixtures import write_db

    shared = query_files.QUERIES_DIR / "shared"
    shared.mkdir()
    (shared / "recent_leads.sql").write_text(
        "recent as (select * from leads where $start is null or created_at >= $start),"
    )
    queries_dir(
        "test__recent",
        "-- test__recent\n-- One row: recent leads.\n-- $start date = null  from\n"
        "with\n-- @include recent_leads\nfinal as (select count(*) as lead_count from recent)\n"
        "select * from final",
    )
    path = write_db(tmp_path / "two.duckdb", {"people": PEOPLE, "leads": LEADS})
    assert db.run_query("test__recent", db=path, start=None)["lead_count"].tolist() == [2]
    assert db.run_query("test__recent", db=path, start=dt.date(2030, 1, 1))["lead_count"].tolist() == [0]
    queries_dir(
        "test__undeclared",
        "-- test__undeclared\n-- One row.\nwith\n-- @include recent_leads\n"
        "final as (select 1 as one)\nselect * from final",
    )
    with pytest.raises(QueryError, match=r"test__undeclared.sql uses undeclared parameters: start"):
        db.load_query("test__undeclared")
    # An indented include is indented as its line: a condition several queries share.
    (shared / "recent_only.sql").write_text("-- created since $start\n$start is null or created_at >= $start")
    queries_dir(
        "test__condition",
        "-- test__condition\n-- One row.\n-- $start date = null  from\n"
        "select count(*) as lead_count\nfrom leads\nwhere\n    -- @include recent_only\n",
    )
    assert "where\n    -- created since $start\n    $start is null" in db.load_query("test__condition").sql
    assert db.run_query("test__condition", db=path, start=dt.date(2030, 1, 1))["lead_count"].tolist() == [0]
    # A shared file may include another, but not itself.
    (shared / "recent_twice.sql").write_text(
        "recent as (select * from leads where\n    -- @include recent_only\n),"
    )
    queries_dir(
        "test__nested",
        "-- test__nested\n-- One row.\n-- $start date = null  from\nwith\n-- @include recent_twice\n"
        "final as (select count(*) as lead_count from recent)\nselect * from final",
    )
    assert db.run_query("test__nested", db=path, start=None)["lead_count"].tolist() == [2]
    (shared / "loop.sql").write_text("-- @include loop")
    queries_dir("test__loop", "-- test__loop\n-- One row.\n-- @include loop\nselect 1")
    with pytest.raises(QueryError, match=r"test__loop.sql includes 'loop' inside itself \(loop → loop\)"):
        db.load_query("test__loop")
    queries_dir("test__missing", "-- test__missing\n-- One row.\nwith\n-- @include nowhere\nselect 1")
    with pytest.raises(
        QueryError, match=r"test__missing.sql includes 'nowhere', but queries/shared/nowhere.sql"
    ):
        db.load_query("test__missing")
