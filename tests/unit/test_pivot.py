"""The pivot's allow-lists and how a pivot is shown: table, chart, selection and drill-down."""

import pandas as pd
import pytest

from handoff import db, metrics, pivot
from handoff.charts import HANDOFF_COLOR, TEAM_COLORS


def frame(rows, dim2=False):
    """A small explore__pivot-shaped result."""
    base = {
        "dim1_value": "",
        "dim1_label": "",
        "dim1_sort": None,
        "dim2_value": "",
        "dim2_label": "All",
        "dim2_sort": None,
    }
    out = pd.DataFrame([{**base, **row} for row in rows])
    for measure in pivot.MEASURES.values():
        if measure.column not in out:
            out[measure.column] = 0.0
    return out


def test_the_allow_lists_match_the_choices_the_queries_declare():
    for name in ("explore__pivot", "explore__cell_members"):
        params = db.load_query(name).params
        assert params["dim1"].choices == tuple(pivot.DIMENSIONS), name
        assert params["dim2"].choices == tuple(pivot.DIMENSIONS), name
        assert params["mode"].choices == tuple(pivot.MODES), name


def test_every_measure_is_a_column_of_the_pivot_queries(demo_db):
    columns = set(db.run_query("explore__pivot", db=demo_db, dim1="none").columns)
    sla = db.run_query("explore__pivot_sla", db=demo_db, dim1="none")
    assert {m.column for m in pivot.MEASURES.values()} <= columns | set(sla.columns)
    assert sla.columns.tolist() == pivot.SLA_COLUMNS
    assert db.load_query("explore__pivot_sla").params.keys() == {
        *db.load_query("explore__pivot").params,
        "policies",
    }
    assert all(m.owner in pivot.OWNER_COLORS for m in pivot.MEASURES.values())
    assert set(pivot.DEFAULT_MEASURES) <= set(pivot.MEASURES)


def test_every_measure_is_a_registry_metric_that_states_its_basis():
    # Funnel counts and conversions follow the mode; the rest have one basis (activity).
    cohort = {m.key: m.label("cohort") for m in pivot.MEASURES.values()}
    period = {m.key: m.label("period") for m in pivot.MEASURES.values()}
    assert cohort["mqls"] == "MQLs from the period's leads" and period["mqls"] == "MQLs in the period"
    assert cohort["mql_to_sal"] == "MQL → SAL (the handoff) from the period's leads"
    assert cohort["leads"] == period["leads"] == "Leads created in the period"
    assert cohort["bookings"] == period["bookings"] == "Bookings in the period"
    assert period["speed_to_lead"] == "Median speed to lead in the period (wall clock)"
    for measure in pivot.MEASURES.values():
        for mode in pivot.MODES:
            assert measure.label(mode) == metrics.label(measure.metric(mode).id)
            assert measure.metric(mode).basis_words in measure.label(mode)
    assert pivot.MEASURES["mql_to_sal"].owner == "shared"  # the handoff step has its own colour


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (("channel", "none"), ("channel", "none")),
        (("none", "segment"), ("segment", "none")),  # the first slot is filled first
        (("region", "region"), ("region", "none")),  # never the same dimension twice
        ((None, None), ("none", "none")),
        (("created_month", "team"), ("created_month", "team")),
    ],
)
def test_choose_normalises_the_two_dimensions(given, expected):
    assert pivot.choose(*given) == expected


@pytest.mark.parametrize("bad", ["lead_id", "channel; drop table leads", "Channel"])
def test_choose_refuses_anything_off_the_allow_list(bad):
    with pytest.raises(ValueError, match="unknown dimension"):
        pivot.choose(bad, None)


def test_measures_refuse_anything_off_the_allow_list():
    assert [m.key for m in pivot.measures(["won", "leads"])] == ["won", "leads"]
    with pytest.raises(ValueError, match="unknown measure amount"):
        pivot.measures(["leads", "amount"])


def test_table_names_columns_for_people_and_shows_rates_in_percent():
    data = frame(
        [
            {
                "dim1_value": "paid_search",
                "dim1_label": "paid_search",
                "lead_count": 10,
                "mql_to_sal_rate": 0.384,
                "pipeline_usd": 1200.0,
            },
            {
                "dim1_value": "webinar",
                "dim1_label": "webinar",
                "lead_count": 4,
                "mql_to_sal_rate": None,
                "pipeline_usd": 0.0,
            },
        ]
    )
    shown = pivot.table(data, "channel", "none", ["leads", "mql_to_sal", "pipeline"], mode="period")
    handoff = "MQL → SAL (the handoff) in the period (%)"
    assert shown.columns.tolist() == [
        "Channel",
        "Leads created in the period",
        handoff,
        "Pipeline created in the period (USD)",
    ]
    assert shown["Channel"].tolist() == ["Paid search", "Webinar"]
    assert shown[handoff].iloc[0] == pytest.approx(38.4) and pd.isna(shown[handoff].iloc[1])
    formats = pivot.column_formats(["leads", "mql_to_sal", "pipeline"], mode="period")
    assert formats[handoff][0] == "%.1f %%" and "Owner: shared." in formats[handoff][1]
    assert formats[handoff][1].startswith(metrics.get("mql_to_sal_rate").definition)
    assert formats["Pipeline created in the period (USD)"][0] == "$%,.0f"


def test_table_shows_months_and_names_as_they_are_read():
    data = frame(
        [{"dim1_value": "2026-04", "dim1_label": "2026-04", "dim2_value": "P1", "dim2_label": "Ada Okafor"}]
    )
    shown = pivot.table(data, "created_month", "owner", ["leads"])
    assert shown.iloc[0, :2].tolist() == ["Apr 2026", "Ada Okafor"]


def test_selected_rows_and_cells_become_cell_pairs():
    data = frame(
        [
            {"dim1_value": "smb", "dim2_value": "NA"},
            {"dim1_value": "smb", "dim2_value": "EMEA"},
            {"dim1_value": "enterprise", "dim2_value": "NA"},
        ]
    )
    assert pivot.selected_cells(data) == {}
    assert pivot.selected_cells(data, rows=[2]) == {"dim1_values": ["enterprise"], "dim2_values": ["NA"]}
    # A cell and a row on the same line count once; positions outside the table are ignored.
    assert pivot.selected_cells(data, rows=[0], cells=[(0, "Leads"), (1, "MQLs"), (7, "Leads")]) == {
        "dim1_values": ["smb", "smb"],
        "dim2_values": ["NA", "EMEA"],
    }


def test_member_ids_pick_the_records_of_a_kind():
    members = pd.DataFrame({"record_kind": ["deal", "lead", "lead"], "record_id": ["D1", "L1", "L2"]})
    assert pivot.member_ids(members, "leads") == {"lead_ids": ["L1", "L2"]}
    assert pivot.member_ids(members, "touches") == {"lead_ids": ["L1", "L2"]}  # the touches of those leads
    assert pivot.member_ids(members, "deals") == {"deal_ids": ["D1"]}
    with pytest.raises(ValueError, match="unknown record kind"):
        pivot.member_ids(members, "people")


def test_the_chart_fits_the_dimensions():
    by_channel = frame(
        [
            {"dim1_value": "email", "dim1_label": "email", "mql_count": 5},
            {"dim1_value": "social", "dim1_label": "social", "mql_count": 9},
        ]
    )
    bars = pivot.figure(by_channel, "channel", "none", "mqls")
    assert bars.data[0].type == "bar" and bars.data[0].orientation == "h"
    assert list(bars.data[0].y) == ["Email", "Social"]  # sorted so the biggest bar is on top
    assert set(bars.data[0].marker.color) == {TEAM_COLORS["marketing"]}  # MQLs are marketing's
    assert "owned by Marketing" in bars.layout.title.text

    months = frame(
        [
            {"dim1_value": f"2026-0{m}", "dim1_label": f"2026-0{m}", "dim1_sort": m, "win_rate": 0.5}
            for m in (1, 2, 3)
        ]
    )
    line = pivot.figure(months, "created_month", "none", "win_rate")
    assert line.data[0].type == "scatter" and list(line.data[0].y) == [50.0, 50.0, 50.0]
    assert line.data[0].line.color == TEAM_COLORS["sales"]
    assert line.layout.yaxis.title.text == "Win rate in the period (%)"

    grid = frame(
        [
            {"dim1_value": s, "dim1_label": s, "dim2_value": r, "dim2_label": r, "mql_to_sal_rate": 0.5}
            for s in ("smb", "enterprise")
            for r in ("NA", "EMEA")
        ]
    )
    heat = pivot.figure(grid, "segment", "region", "mql_to_sal")
    assert heat.data[0].type == "heatmap" and heat.data[0].colorscale[-1][1] == HANDOFF_COLOR

    assert pivot.figure(frame([{}]), "none", "none", "leads") is None


def test_a_team_series_wears_its_team_colour():
    by_team = frame(
        [
            {
                "dim1_value": "2026-01",
                "dim1_label": "2026-01",
                "dim1_sort": 1,
                "dim2_value": team,
                "dim2_label": team,
                "lead_count": 3,
            }
            for team in ("marketing", "sales")
        ]
    )
    lines = pivot.figure(by_team, "created_month", "team", "leads")
    assert {trace.name: trace.line.color for trace in lines.data} == {
        "Marketing": TEAM_COLORS["marketing"],
        "Sales": TEAM_COLORS["sales"],
    }
    bars = pivot.figure(
        frame([{"dim1_value": t, "dim1_label": t, "pipeline_usd": 1.0} for t in ("marketing", "sales")]),
        "team",
        "none",
        "pipeline",
    )
    assert list(bars.data[0].marker.color) == [TEAM_COLORS["marketing"], TEAM_COLORS["sales"]]


def test_format_value_reads_like_people_write():
    assert pivot.format_value(1_234_567, "usd") == "$1.2M"
    assert pivot.format_value(0.384, "rate") == "38.4 %"
    assert pivot.format_value(3.2, "hours") == "3.2 h"
    assert pivot.format_value(1234, "count") == "1,234"


def test_a_mix_of_bases_is_said():
    assert pivot.basis_note(["mqls", "pipeline"], "cohort").startswith("Mixed bases: MQLs follow")
    assert pivot.basis_note(["mqls", "pipeline"], "period") is None  # all in the period
    assert pivot.basis_note(["pipeline", "bookings"], "cohort") is None
