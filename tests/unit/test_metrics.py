"""The metric registry (handoff/metrics.toml): one definition per metric, each label stating its basis,
each pointing at the named query that computes it; `python -m handoff metrics` prints it."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys

import pytest

from handoff import db, metrics
from tests.fixtures import ROOT

CONTRACT = ["metric_id", "label", "owner_team", "basis", "unit", "definition"]


def test_every_label_states_its_basis_and_is_unique_where_people_read_it():
    registry = metrics.registry()
    assert len(registry) > 80
    for metric in registry.values():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", metric.id), metric.id
        assert metric.basis_words in metric.full_label, metric.id
        assert metric.definition.endswith("."), metric.id
    # Two metrics may share a label only on different bases (the cohort twin of a period metric).
    labels = [m.full_label for m in registry.values()]
    assert len(labels) == len(set(labels))
    assert metrics.label("mql_count") == "MQLs in the period"
    assert metrics.label("cohort_mql_count") == "MQLs from the period's leads"
    assert metrics.label("median_speed_to_lead_hours") == "Median speed to lead in the period (wall clock)"
    assert (
        metrics.label("median_speed_to_lead_business_hours")
        == "Median speed to lead in the period (business hours)"
    )
    assert metrics.label("open_pipeline_usd") == "Open pipeline now"


def test_each_metric_names_a_query_that_exists_and_a_page_that_shows_it():
    queries = set(db.list_queries())
    for metric in metrics.registry().values():
        assert metric.query in queries, (metric.id, metric.query)
        for other in metric.also:
            assert other.split(".")[0] in queries, (metric.id, other)
        assert set(metric.pages) <= set(metrics.PAGES)
    # Every page of the app shows at least one metric, and so does the meeting pack (the Review page
    # shows the Overview's, as its agenda's figures).
    assert {page for m in metrics.registry().values() for page in m.pages} >= set(metrics.PAGES) - {
        "data",
        "review",
    }


def test_a_metric_s_column_is_in_its_query_s_result(demo_db):
    # Where the registry names a plain column, the query returns it on the demo company.
    checked = 0
    for metric in metrics.registry().values():
        column = metric.column.split(" ")[0]
        if not re.fullmatch(r"[a-z_]+", column) or column == "row":
            continue
        params = {"policy_id": "follow_up"} if metric.query == "sla__response_bands" else {}
        frame = db.run_query(metric.query, db=demo_db, **params)
        assert column in frame.columns, (metric.id, metric.query, column)
        checked += 1
    assert checked > 60


def test_every_need_is_a_readiness_rule_of_the_data(demo_db):
    rules = set(db.run_query("data__readiness", db=demo_db)["rule_id"])
    assert rules == {
        "sales_touches_recorded",
        "lost_deals_recorded",
        "open_deal_amounts",
        "won_deal_amounts",
        "mql_decisions_recorded",
    }
    needed = {need for m in metrics.registry().values() for need in m.needs}
    assert needed <= rules and needed == rules


def test_values_read_in_their_unit():
    assert metrics.format_value(1_234_567, "usd") == "$1.2M"
    assert metrics.format_value(0.384, "rate") == "38.4 %"
    assert metrics.format_value(0.5, "hours") == "30 min"
    assert metrics.format_value(0.5, "business_hours") == "30 business min"
    assert metrics.format_value(2.25, "ratio") == "2.2×"
    assert metrics.format_value(-0.0123, "points") == "-1.2 pp"
    assert metrics.format_value(float("nan"), "count") == "–"
    assert metrics.get("win_rate").help.startswith(
        "Won deals as a share of the deals won or lost in the period."
    )
    assert "Basis:" in metrics.get("win_rate").help


def test_a_mistake_in_the_registry_names_the_metric_and_the_key(tmp_path, monkeypatch):
    bad = tmp_path / "metrics.toml"
    text = metrics.REGISTRY_FILE.read_text().replace('basis = "activity"', 'basis = "sometime"', 1)
    bad.write_text(text)
    monkeypatch.setattr(metrics, "REGISTRY_FILE", bad)
    metrics.registry.cache_clear()
    try:
        with pytest.raises(
            metrics.RegistryError, match=r"metrics.toml: metrics.lead_count: basis: Input should be"
        ):
            metrics.registry()
        bad.write_text("[metrics.x]\nlabel = 'X'\nunknown_key = 1\n")
        metrics.registry.cache_clear()
        with pytest.raises(metrics.RegistryError, match="metrics.x"):
            metrics.registry()
    finally:
        monkeypatch.undo()
        metrics.registry.cache_clear()


def _metrics_command(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "handoff", "metrics", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_metrics_command_prints_one_row_per_metric_in_every_format():
    rows = list(csv.DictReader(io.StringIO(_metrics_command("--format", "csv"))))
    assert list(rows[0]) == CONTRACT
    assert [r["metric_id"] for r in rows] == list(metrics.registry())
    mql = next(r for r in rows if r["metric_id"] == "mql_count")
    assert mql == {
        "metric_id": "mql_count",
        "label": "MQLs in the period",
        "owner_team": "marketing",
        "basis": "activity",
        "unit": "count",
        "definition": metrics.get("mql_count").definition,
    }
    records = json.loads(_metrics_command("--format", "json"))
    assert len(records) == len(rows) and set(records[0]) == set(CONTRACT)
    table = _metrics_command()
    assert table.splitlines()[0].split()[:3] == ["metric_id", "label", "owner_team"]
