"""Properties of the importer, on generated inputs:

- any common encoding, delimiter, line ending and quoting reads back the same values;
- quarantine sets aside exactly the rows with errors and the rows that depend on them (checked
  against an independent reading of the same rows), and every row is either loaded or set aside;
- import → export → import gives the same tables.
"""

from __future__ import annotations

import csv
import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import db, ingest
from handoff.ingest.canonical import TABLE_ORDER

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Text a CRM field may hold: delimiters, quotes, line breaks and accents (all in Windows-1252 too).
FIELD = st.text(alphabet=st.sampled_from(list("abcXYZ019 ,;|\t\"'\n-éüñ€")), max_size=12)


@SETTINGS
@given(
    values=st.lists(FIELD, min_size=1, max_size=6),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
)
def test_any_encoding_delimiter_and_quoting_reads_the_same_values(
    tmp_path_factory, values, encoding, delimiter, newline, quoting
):
    path = tmp_path_factory.mktemp("formats") / "leads.csv"
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator=newline, quoting=quoting)
        writer.writerow(["lead_id", "created_at", "channel", "sourced_by", "segment", "region", "industry"])
        for index, value in enumerate(values):
            writer.writerow([f"L{index}", "2026-01-01 09:00", "web", "marketing", "smb", "NA", value])
    plan = ingest.check([path], "canonical")
    assert not plan.report.errors, plan.report.as_text()
    expected = [v.strip() or None for v in values]  # values are trimmed; empty is NULL
    assert (
        plan.tables["leads"]["industry"]
        .astype("object")
        .where(plan.tables["leads"]["industry"].notna(), None)
        .tolist()
        == expected
    )
    assert plan.tables["leads"]["_row"].tolist() == list(range(2, len(values) + 2))


LEAD = st.fixed_dictionaries(
    {
        "lead_id": st.sampled_from(["L1", "L2", "L3", "L4", "L5"]),
        "created_at": st.sampled_from(["2026-01-01", "2026-01-02 10:00", "not a date", ""]),
        "sourced_by": st.sampled_from(["marketing", "sales", "Sales", "partners"]),
    }
)
DEAL = st.fixed_dictionaries(
    {
        "deal_id": st.sampled_from(["D1", "D2", "D3", "D4"]),
        "lead_id": st.sampled_from(["L1", "L2", "L3", "L4", "L5", "L9"]),
        "amount": st.sampled_from(["100", "1,250.50", "-5", "lots"]),
    }
)


def oracle(leads: list[dict], deals: list[dict]) -> tuple[list[int], list[int]]:
    """Which lead and deal rows should load, worked out row by row without the importer."""

    def parses(text: str) -> bool:
        try:
            return bool(text) and bool(dt.datetime.fromisoformat(text))
        except ValueError:
            return False

    seen, lead_ok = set(), []
    for lead in leads:  # own errors: date, allowed set (case-insensitive), a repeated key (the first wins)
        ok = parses(lead["created_at"]) and lead["sourced_by"].lower() in ("marketing", "sales")
        ok = ok and lead["lead_id"] not in seen
        seen.add(lead["lead_id"])
        lead_ok.append(ok)
    loaded_leads = {lead["lead_id"] for lead, ok in zip(leads, lead_ok, strict=True) if ok}
    seen, deal_ok = set(), []
    for deal in deals:  # own errors, an unknown lead, or a lead that was set aside
        amount = deal["amount"].replace(",", "")
        ok = amount.replace(".", "", 1).isdigit() and deal["deal_id"] not in seen
        ok = ok and deal["lead_id"] in loaded_leads
        seen.add(deal["deal_id"])
        deal_ok.append(ok)
    return ([i for i, ok in enumerate(lead_ok) if ok], [i for i, ok in enumerate(deal_ok) if ok])


@SETTINGS
@given(leads=st.lists(LEAD, min_size=1, max_size=8), deals=st.lists(DEAL, max_size=8))
def test_quarantine_sets_aside_exactly_the_bad_rows_and_their_dependants(tmp_path_factory, leads, deals):
    folder = tmp_path_factory.mktemp("quarantine")
    pd.DataFrame([{**lead, "channel": "web", "segment": "smb", "region": "NA"} for lead in leads]).to_csv(
        folder / "leads.csv", index=False
    )
    pd.DataFrame(
        [{**deal, "created_at": "2026-02-01", "stage": "open"} for deal in deals],
        columns=["deal_id", "lead_id", "amount", "created_at", "stage"],
    ).to_csv(folder / "deals.csv", index=False)
    plan = ingest.check([folder / "leads.csv", folder / "deals.csv"], "canonical")
    expected_leads, expected_deals = oracle(leads, deals)
    keep = {t: ~(plan.row_errors[t] | plan.dependent[t]) for t in ("leads", "deals")}
    assert [i for i, k in enumerate(keep["leads"]) if k] == expected_leads
    assert [i for i, k in enumerate(keep["deals"]) if k] == expected_deals
    for table in TABLE_ORDER:  # every row is loaded or set aside, never both, never lost
        mapped = len(plan.tables[table])
        aside = int((plan.row_errors[table] | plan.dependent[table]).sum())
        assert plan.rows_to_load(quarantine=True)[table] + aside == mapped
    assert plan.report.tables["leads"]["mapped"] == len(leads)


ID = st.text(alphabet="abcXYZ0123-_", min_size=1, max_size=6)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lead_ids=st.lists(ID, min_size=1, max_size=6, unique=True),
    amounts=st.lists(
        st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False), min_size=1, max_size=6
    ),
    seconds=st.lists(st.integers(min_value=0, max_value=10**8), min_size=1, max_size=6),
)
def test_import_export_import_gives_the_same_tables(tmp_path_factory, lead_ids, amounts, seconds):
    folder = tmp_path_factory.mktemp("roundtrip")
    start = dt.datetime(2024, 1, 1)
    leads = pd.DataFrame(
        {
            "lead_id": lead_ids,
            "created_at": [
                start + dt.timedelta(seconds=seconds[i % len(seconds)], microseconds=i * 7)
                for i in range(len(lead_ids))
            ],
            "channel": "web",
            "sourced_by": "marketing",
            "segment": "smb",
            "region": "NA",
        }
    )
    deals = pd.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(len(amounts))],
            "lead_id": [lead_ids[i % len(lead_ids)] for i in range(len(amounts))],
            "created_at": "2026-01-01 00:00:00",
            "stage": "open",
            "amount": [str(a) for a in amounts],
        }
    )
    (folder / "in").mkdir()
    leads.to_csv(folder / "in" / "leads.csv", index=False)
    deals.to_csv(folder / "in" / "deals.csv", index=False)
    first, second = folder / "first.duckdb", folder / "second.duckdb"
    ingest.import_files(sorted((folder / "in").glob("*.csv")), "canonical", first)
    ingest.export(first, folder / "out")
    ingest.import_files(sorted((folder / "out").glob("*.csv")), "canonical", second)
    for table in ("leads", "deals"):
        query = f"select * from {table} order by all"
        pd.testing.assert_frame_equal(db.execute(query, db=first), db.execute(query, db=second))
    got = db.execute("select cast(amount as text) as amount from deals order by deal_id", db=second)
    assert sorted(got["amount"]) == sorted(f"{a:.2f}" for a in amounts)
    db.close_connections()
