"""The schema: tables, keys and the checks made when a database is opened."""

import duckdb
import pytest

from handoff import db
from handoff.errors import DatabaseMissing, DatabaseUnreadable, ForeignDatabase, QueryError, SchemaMismatch
from tests.fixtures import ts, write_db


def test_every_canonical_table_exists_with_its_primary_key(make_db):
    path = make_db({})
    con = duckdb.connect(str(path), read_only=True)
    tables = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
    assert set(db.TABLES) <= tables
    keys = dict(
        con.execute(
            "select table_name, constraint_column_names[1] from duckdb_constraints() where constraint_type = 'PRIMARY KEY'"
        ).fetchall()
    )
    con.close()
    assert keys == {
        "handoff_meta": "key",
        "people": "person_id",
        "campaigns": "campaign_id",
        "leads": "lead_id",
        "touches": "touch_id",
        "deals": "deal_id",
    }


def test_money_and_time_types_follow_the_design(make_db):
    con = duckdb.connect(str(make_db({})), read_only=True)
    types = dict(
        con.execute(
            "select table_name || '.' || column_name, data_type from information_schema.columns"
        ).fetchall()
    )
    con.close()
    assert types["deals.amount"] == "DECIMAL(18,2)"
    assert types["campaigns.cost"] == "DECIMAL(18,2)"
    assert types["leads.created_at"] == "TIMESTAMP"
    assert types["touches.touched_at"] == "TIMESTAMP"


def test_a_deal_for_an_unknown_lead_is_refused(tmp_path):
    with pytest.raises(duckdb.ConstraintException):
        write_db(
            tmp_path / "orphan.duckdb",
            {
                "deals": [
                    {
                        "deal_id": "D1",
                        "lead_id": "nobody",
                        "created_at": ts("2026-01-01 09:00"),
                        "stage": "open",
                        "amount": 10,
                    }
                ],
            },
        )
    assert not (tmp_path / "orphan.duckdb").exists()


@pytest.mark.parametrize(
    "column, value", [("lead_id", "nobody"), ("campaign_id", "C404"), ("person_id", "P404")]
)
def test_a_touch_pointing_at_nothing_is_refused_in_bulk(tmp_path, column, value):
    touch = {
        "touch_id": "T1",
        "lead_id": "L1",
        "channel": "email",
        "team": "marketing",
        "kind": "email",
        "touched_at": ts("2026-01-02 09:00"),
        column: value,
    }
    with pytest.raises(duckdb.ConstraintException, match=f"touch 'T1': {column} {value} is not a"):
        write_db(
            tmp_path / "orphan.duckdb",
            {
                "people": [
                    {"person_id": "P1", "name": "Ana", "team": "sales", "role": "SDR", "region": "NA"}
                ],
                "leads": [
                    {
                        "lead_id": "L1",
                        "created_at": ts("2026-01-01 09:00"),
                        "channel": "email",
                        "sourced_by": "marketing",
                        "segment": "smb",
                        "region": "NA",
                        "score": 50,
                    }
                ],
                "touches": [touch],
            },
        )
    assert not (tmp_path / "orphan.duckdb").exists()


def test_a_failed_build_leaves_the_previous_file_byte_identical(tmp_path):
    path = write_db(tmp_path / "h.duckdb", {})
    before = path.read_bytes()

    def explode(con):
        con.execute("insert into people values ('P1', 'Ada', 'sales', 'sdr', 'NA', null)")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        db.build_database(path, explode)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["h.duckdb"]


def test_the_schema_version_is_recorded(make_db):
    assert db.read_meta(make_db({}, meta={"source": "test"})) == {
        "schema_version": str(db.SCHEMA_VERSION),
        "source": "test",
    }


def test_a_missing_database_says_how_to_build_one(tmp_path):
    with pytest.raises(DatabaseMissing, match="python -m handoff demo"):
        db.check_database(tmp_path / "nothing.duckdb")


def test_a_file_that_is_not_duckdb_is_unreadable(tmp_path):
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"\x00\x01not a database at all" * 100)
    with pytest.raises(DatabaseUnreadable, match="garbage.duckdb"):
        db.check_database(garbage)


def test_a_truncated_database_is_unreadable(make_db, demo_db, tmp_path):
    cut = tmp_path / "cut.duckdb"
    cut.write_bytes(demo_db.read_bytes()[:20_000])
    with pytest.raises((DatabaseUnreadable, QueryError)):
        db.check_database(cut)
        db.run_query("data__table_counts", db=cut)


def test_a_foreign_duckdb_file_is_named_as_such(tmp_path):
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("create table sales(x int)")
    con.close()
    with pytest.raises(ForeignDatabase, match="not a Handoff database"):
        db.check_database(other)


def test_another_schema_version_is_refused_with_a_way_out(tmp_path):
    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    con.execute(
        "create table handoff_meta(key text, value text); insert into handoff_meta values ('schema_version', '0')"
    )
    con.close()
    with pytest.raises(SchemaMismatch, match="schema version 0.*re-import"):
        db.check_database(old)


def test_lead_milestones_derive_the_funnel_of_each_lead(make_db):
    people = [{"person_id": "S1", "name": "Sam", "team": "sales", "role": "sdr", "region": "NA"}]
    leads = [
        # An MQL followed up 90 minutes later (a marketing touch in between does not count).
        {
            "lead_id": "L1",
            "created_at": ts("2026-01-05 09:00"),
            "channel": "webinar",
            "sourced_by": "marketing",
            "segment": "smb",
            "region": "NA",
            "mql_at": ts("2026-01-06 10:00"),
            "sal_at": ts("2026-01-06 12:00"),
        },
        # SDR-sourced: never an MQL (whatever the CRM's mql_at says); no SAL, straight to SQL, where it joined
        # the handoff path, then an opportunity that was won.
        {
            "lead_id": "L2",
            "created_at": ts("2026-01-07 09:00"),
            "channel": "outbound_sdr",
            "sourced_by": "sales",
            "segment": "smb",
            "region": "NA",
            "mql_at": ts("2026-01-08 09:00"),
            "sql_at": ts("2026-01-09 09:00"),
        },
        # A lead that went nowhere.
        {
            "lead_id": "L3",
            "created_at": ts("2026-01-08 09:00"),
            "channel": "social",
            "sourced_by": "marketing",
            "segment": "smb",
            "region": "NA",
        },
    ]
    touches = [
        {
            "touch_id": "T1",
            "lead_id": "L1",
            "channel": "email",
            "team": "marketing",
            "kind": "email",
            "touched_at": ts("2026-01-06 10:30"),
        },
        {
            "touch_id": "T0",
            "lead_id": "L1",
            "channel": "direct_sales",
            "team": "sales",
            "kind": "call",
            "touched_at": ts("2026-01-05 10:00"),
        },  # before the MQL: not a response to it
        {
            "touch_id": "T2",
            "lead_id": "L1",
            "channel": "direct_sales",
            "team": "sales",
            "kind": "call",
            "touched_at": ts("2026-01-06 11:30:00.900"),
            "person_id": "S1",
        },  # exact: 0.9 s counts
        {
            "touch_id": "T3",
            "lead_id": "L1",
            "channel": "direct_sales",
            "team": "sales",
            "kind": "email",
            "touched_at": ts("2026-01-06 15:00"),
        },
    ]
    deals = [
        {
            "deal_id": "D1",
            "lead_id": "L2",
            "created_at": ts("2026-01-10 09:00"),
            "closed_at": ts("2026-02-01 09:00"),
            "stage": "won",
            "amount": 100,
        },
        {
            "deal_id": "D2",
            "lead_id": "L2",
            "created_at": ts("2026-03-10 09:00"),
            "stage": "open",
            "amount": 50,
        },
    ]
    path = make_db({"people": people, "leads": leads, "touches": touches, "deals": deals})
    with db.read_cursor(path) as cur:
        rows = {
            r[0]: r[1:]
            for r in cur.execute("""
            select lead_id, first_sales_touch_at, speed_to_lead_hours, opportunity_at, won_at, first_deal_id,
                   reached_mql, reached_sal, reached_sql, reached_opportunity, reached_won, mql_at,
                   is_marketing_sourced, joined_stage_order
            from lead_milestones order by lead_id""").fetchall()
        }
    assert rows["L1"] == (
        ts("2026-01-06 11:30:00.900"),
        pytest.approx(1.5 + 0.9 / 3600),
        None,
        None,
        None,
        True,
        True,
        False,
        False,
        False,
        ts("2026-01-06 10:00"),
        True,
        None,
    )
    assert rows["L2"] == (
        None,
        None,
        ts("2026-01-10 09:00"),
        ts("2026-02-01 09:00"),
        "D1",
        False,
        False,
        True,
        True,
        True,
        None,
        False,
        4,
    )
    assert rows["L3"] == (None, None, None, None, None, False, False, False, False, False, None, True, None)


def test_a_killed_build_leaves_no_staging_file_behind_the_next_one(tmp_path):
    path = write_db(tmp_path / "h.duckdb", {})
    abandoned = tmp_path / ".h.duckdb.building-999999999-1"  # no such process
    abandoned.write_bytes(b"half a database")
    running = tmp_path / f".h.duckdb.building-{__import__('os').getpid()}-7"  # a build still running here
    running.write_bytes(b"in progress")
    write_db(path, {})
    assert not abandoned.exists() and running.exists()
