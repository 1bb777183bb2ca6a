"""The meeting pack: every section, reproducible, and a one-line CLI error for bad input."""

import datetime as dt
import re

import pytest

from handoff import db
from handoff.charts import fmt_usd
from handoff.cli import main
from handoff.filters import Filters
from handoff.report import build_report

Q2 = Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 7, 1))
FIXED = dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC)


def test_every_section_with_the_filters_and_generation_time(demo_db):
    document = build_report(Q2.replace(segments=["smb"]), db_path=demo_db, generated_at=FIXED)
    for section in ("overview", "funnel", "sla-scorecard", "attribution", "leakage", "definitions"):
        assert f'<h2 id="{section}">' in document
    assert "Filters: 1 Apr 2026 – 30 Jun 2026 · segment: SMB" in document
    assert "generated 2026-07-01 08:30 UTC" in document
    assert document.count("<script") >= 3 and document.count("plotly.js v") == 1  # plotly embedded once
    assert "cdn" not in document.lower().split("<script", 1)[0]


def test_the_attribution_table_names_its_teams_and_totals_every_model(demo_db):
    document = build_report(Q2, db_path=demo_db, generated_at=FIXED)
    section = document[document.index('<h2 id="attribution">') : document.index('<h2 id="leakage">')]
    table = section[section.index("<table") : section.index("</table>")]
    header = re.findall(r"<th>([^<]*)</th>", table)
    assert header == [
        "Team",
        "First touch",
        "Last touch",
        "Linear",
        "Time decay",
        "U-shaped",
        "W-shaped",
        "Full path",
        "Markov chain",
        "Shapley value",
    ]
    rows = [re.findall(r"<td>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
    assert [row[0] for row in rows][-1] == "Total" and {"Marketing", "Sales"} <= {row[0] for row in rows}
    total = fmt_usd(
        db.run_query("attribution__scope_totals", Q2, db=demo_db, basis="revenue")["total_usd"].iloc[0]
    )
    assert rows[-1][1:] == [total] * 9  # every model shares out the same revenue


def test_the_same_database_and_arguments_give_the_same_file(demo_db):
    first = build_report(Q2, db_path=demo_db, generated_at=FIXED)
    second = build_report(Q2, db_path=demo_db, generated_at=FIXED)
    assert first == second
    other = build_report(Q2.replace(segments=["enterprise"]), db_path=demo_db, generated_at=FIXED)
    tiles = re.findall(r'<div class="value">([^<]+)</div>', first)
    assert tiles != re.findall(r'<div class="value">([^<]+)</div>', other)


def test_the_report_command(demo_db, tmp_path, capsys):
    out = tmp_path / "review.html"
    code = main(
        [
            "report",
            "--db",
            str(demo_db),
            "--start",
            "2026-04-01",
            "--end",
            "2026-07-01",
            "--out",
            str(out),
            "--param",
            "regions=NA,EMEA",
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.startswith(f"wrote {out}")
    assert "region: NA, EMEA" in out.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-07-01", "--end", "2026-04-01"], "ends (2026-04-01) on or before it starts"),
        (["--start", "2026-04-01", "--end", "2026-07-01", "--param", "colour=red"], "not colour"),
        (["--start", "April", "--end", "2026-07-01"], "'April' is not a date"),
    ],
)
def test_bad_arguments_are_one_line(demo_db, tmp_path, capsys, args, message):
    code = main(["report", "--db", str(demo_db), "--out", str(tmp_path / "r.html"), *args])
    err = capsys.readouterr().err
    assert code != 0 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r.html").exists()
