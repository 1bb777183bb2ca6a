"""Export: DuckDB's COPY writes the files, byte for byte the CSV pandas wrote before it, for any text
(commas, quotes, line breaks, a lone CR, a leading #, an empty text, NULL), exact and spreadsheet-safe."""

from __future__ import annotations

import io
import random

import pytest

from handoff import db, ingest, spreadsheet
from handoff.ingest.canonical import CANONICAL, TABLE_ORDER
from tests.fixtures import write_db

HOSTILE = [
    "plain",
    "",
    "a,b",
    'say "hi"',
    "two\nlines",
    "cr\ronly",
    "crlf\r\nend",
    "#hash",
    " lead",
    "trail ",
    "=1+1",
    "+3",
    "-12.5",
    "-٣",
    "@lead",
    "\ttab",
    "\rcr first",
    "'quoted",
    "semi;colon",
    "ünïcödé",
    "1e5",
    "-1e5x",
    "--",
    "+",
    ".5",
    "-.5e-3",
    '"',
    '""',
    ",",
    "\n",
]
ALPHABET = ",\"\r\n\t #=+-@'٣a1.eE;|é"


def _texts() -> list[str]:
    rng = random.Random(16)
    return HOSTILE + ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 8))) for _ in range(400)]


@pytest.fixture(scope="module")
def hostile_export_db(tmp_path_factory):
    texts = _texts()
    people = [
        {
            "person_id": f"p{i:04d}",
            "name": text or "-",
            "team": "sales",
            "role": text or "ae",
            "region": text if i % 7 else None,
        }
        for i, text in enumerate(texts)
    ]
    campaigns = [
        {
            "campaign_id": f"c{i:04d}",
            "name": text or "-",
            "channel": text or "email",
            "owner_team": "marketing",
            "start_date": "2026-01-01",
            "cost": i,
        }
        for i, text in enumerate(texts)
    ]
    targets = [
        {
            "period_start": "2026-04-01",
            "team": "sales",
            "metric": text or "won",
            "segment": None if i % 3 else text,
            "value": i,
        }
        for i, text in enumerate(texts)
    ]
    path = tmp_path_factory.mktemp("export") / "hostile.duckdb"
    tables = {"people": people, "campaigns": campaigns, "targets": targets}
    return write_db(path, tables, {"as_of": "2026-06-30"})


def _as_pandas_wrote(db_path, table_name: str, spreadsheet_safe: bool) -> bytes:
    """The file as the export wrote it with pandas, before DuckDB's COPY."""
    table = CANONICAL[table_name]
    order = ", ".join(table.key) if table_name != "targets" else "all"
    select = ", ".join(f"cast({c} as text) as {c}" for c in table.column_names)
    frame = db.execute(f"select {select} from {table_name} order by {order}", db=db_path)
    out = io.StringIO(newline="")
    if spreadsheet_safe:
        spreadsheet.write_csv(frame, out)
    else:
        frame.to_csv(out, index=False, lineterminator="\n")
    return out.getvalue().encode()


@pytest.mark.parametrize("spreadsheet_safe", [False, True], ids=["exact", "safe"])
def test_export_writes_the_bytes_pandas_wrote(hostile_export_db, tmp_path, spreadsheet_safe):
    ingest.export(hostile_export_db, tmp_path / "out", spreadsheet_safe=spreadsheet_safe)
    for table_name in TABLE_ORDER:
        written = (tmp_path / "out" / f"{table_name}.csv").read_bytes()
        assert written == _as_pandas_wrote(hostile_export_db, table_name, spreadsheet_safe), table_name
    assert (tmp_path / "out" / "handoff_meta.csv").read_bytes() == b"key,value\nas_of,2026-06-30\n"


def test_the_sql_formula_rule_is_the_python_one(hostile_export_db):
    texts = [t for t in _texts() if t]
    sql = ", ".join(f"{spreadsheet.neutralised_sql(f'$t{i}')} as v{i}" for i in range(len(texts)))
    params = {f"t{i}": text for i, text in enumerate(texts)}
    row = db.execute(f"select {sql}", params, db=hostile_export_db).iloc[0].tolist()
    assert row == [spreadsheet.neutralise_text(t) for t in texts]
