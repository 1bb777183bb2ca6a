"""The funnel library: tables and charts built from query results written out by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from handoff import funnel, funnel_charts
from handoff.charts import BAD_COLOR, HANDOFF_COLOR, NEUTRAL_COLOR, TEAM_COLORS, WARN_COLOR
from handoff.filters import Filters

OWNERS = ["marketing", "marketing", "sales", "sales", "sales", "sales"]
NAMES = ["Lead", "MQL", "SAL", "SQL", "Opportunity", "Won"]


def stages(
    counts: list[int],
    group: str | None = None,
    *,
    marketing: list[int] | None = None,
    joined: list[int] | None = None,
) -> pd.DataFrame:
    """A funnel__stage_counts result for these counts (rates as DESIGN.md defines them: Lead → MQL over
    the marketing-sourced leads, then (reached − joined) ÷ the previous stage). By default every lead is
    marketing-sourced and nobody joins."""
    marketing = counts if marketing is None else marketing
    joined = [0] * 6 if joined is None else joined
    frame = pd.DataFrame(
        {"stage_order": range(1, 7), "stage": NAMES, "owner_team": OWNERS, "reached_count": counts}
    )
    previous = frame["reached_count"].shift(1)
    previous.iloc[1] = marketing[0]
    frame["from_previous_rate"] = (frame["reached_count"] - pd.Series(joined)) / previous.where(previous > 0)
    frame["from_first_rate"] = frame["reached_count"] / (counts[0] or np.nan)
    frame["marketing_sourced_count"] = marketing
    frame["sales_sourced_count"] = [c - m for c, m in zip(counts, marketing)]
    frame["joined_count"] = joined
    if group is not None:
        frame.insert(0, "group_value", group)
    return frame


def test_stage_table_marks_a_conversion_on_fewer_than_30_records_as_thin():
    table = funnel.stage_table(stages([400, 100, 29, 20, 10, 5]))
    # Each conversion rests on the previous stage's count: 400, 100, 29, 20, 10.
    assert table["previous_count"].tolist()[1:] == [400, 100, 29, 20, 10]
    assert table["is_thin"].tolist() == [False, False, False, True, True, True]
    # With sales-sourced leads, Lead → MQL rests on the marketing-sourced leads only (350 of 400), and
    # each stage splits into what came from the previous one and what joined there.
    two_paths = funnel.stage_table(
        stages([400, 100, 80, 40, 20, 5], marketing=[350, 100, 60, 30, 15, 4], joined=[0, 0, 20, 2, 1, 0])
    )
    assert two_paths["previous_count"].tolist()[1:] == [350, 100, 80, 40, 20]
    assert two_paths["from_previous_count"].tolist() == [400, 100, 60, 38, 19, 5]


def test_funnel_chart_shows_both_paths_in_their_teams_colours_and_the_handoff_between_mql_and_sal():
    figure = funnel_charts.funnel_chart(
        stages([400, 100, 80, 20, 10, 5], marketing=[350, 100, 60, 15, 8, 4], joined=[0, 0, 20, 1, 0, 0])
    )
    marketing, carried, joined = figure.data
    # Marketing-sourced in marketing's colour; sales-sourced in sales' (joining there hatched).
    assert marketing.marker.color == TEAM_COLORS["marketing"] and joined.marker.color == TEAM_COLORS["sales"]
    assert joined.marker.pattern.shape == "/"
    assert list(marketing.x) == [350, 100, 60, 15, 8, 4]
    assert list(carried.x) == [50, 0, 0, 4, 2, 1]  # sales-sourced, from the stage before
    assert list(joined.x) == [0, 0, 20, 1, 0, 0]
    assert [m + c + j for m, c, j in zip(marketing.x, carried.x, joined.x)] == [400, 100, 80, 20, 10, 5]
    # The owner is always visible, in words.
    assert all(owner.capitalize() in label for owner, label in zip(OWNERS, marketing.y))
    line = figure.layout.shapes[0]
    # Between category 1 (MQL) and 2 (SAL).
    assert (line.y0, line.y1, line.line.color) == (1.5, 1.5, HANDOFF_COLOR)
    notes = [a.text for a in figure.layout.annotations]
    assert any("handoff" in n for n in notes)
    # MQL: 100 of the 350 marketing-sourced leads = 28.6 %. SAL: (80 − 20 joined) of 100 MQLs = 60.0 %,
    # 20.0 % of 400 leads. SQL → Opportunity rests on 20 records: thin.
    # In short lines, so the notes fit beside the bars on a phone.
    assert "<b>100</b> · 28.6 % of previous<br>n = 350 · 25.0 % of first" in notes
    assert (
        "<b>80</b> · 60.0 % of previous<br>n = 100 · 20.0 % of first<br>60 from previous, 20 joined here"
        in notes
    )
    assert any("50.0 % of previous<br>n = 20 · <b>thin</b> · 2.5 % of first" in n for n in notes)


def test_breakdown_table_has_every_step_and_sorts_by_the_one_asked():
    grouped = pd.concat(
        [
            stages([100, 50, 40, 20, 10, 5], "paid_search"),
            stages([40, 30, 27, 18, 12, 9], "referral"),
            stages([10, 0, 0, 0, 0, 0], "smb"),
        ]
    )
    wide = funnel.breakdown_table(grouped, "channel", {}, "Lead")
    assert wide["Channel"].tolist() == ["Paid search", "Referral", "SMB"]
    assert wide.columns.tolist()[2:] == [*NAMES, *funnel.STEP_NAMES, "Lead → Won"]
    assert wide.loc[0, "MQL → SAL"] == pytest.approx(0.8)
    assert wide.loc[1, "Lead → Won"] == pytest.approx(9 / 40)
    assert np.isnan(wide.loc[2, "MQL → SAL"])  # nothing to divide by
    # Lead → Won: referral 22.5 %, paid search 5 %, the third has none: last.
    assert funnel.breakdown_table(grouped, "channel", {}, "Lead → Won")["group_value"].tolist() == [
        "referral",
        "paid_search",
        "smb",
    ]
    by_step = funnel.breakdown_table(grouped, "channel", {}, "SQL → Opportunity")
    assert by_step["group_value"].tolist()[:2] == ["referral", "paid_search"]


def test_breakdown_styler_greys_thin_rates_only():
    grouped = pd.concat([stages([100, 50, 40, 20, 10, 5], "a"), stages([40, 30, 27, 18, 12, 9], "b")])
    styles = funnel.breakdown_styler(funnel.breakdown_table(grouped, "segment", {}))._compute().ctx
    wide = funnel.breakdown_table(grouped, "segment", {})
    columns = list(wide.drop(columns="group_value").columns)
    thin = {(row, columns[col]) for (row, col), style in styles.items() if style}
    # Row 0 (100 leads): SQL→Opp rests on 20, Opp→Won on 10. Row 1 (40 leads): MQL→SAL on 30 is fine,
    # SAL→SQL on 27, SQL→Opp on 18, Opp→Won on 12 are thin.
    assert thin == {
        (0, "SQL → Opportunity"),
        (0, "Opportunity → Won"),
        (1, "SAL → SQL"),
        (1, "SQL → Opportunity"),
        (1, "Opportunity → Won"),
    }


def test_owner_breakdowns_show_names():
    options = pd.DataFrame(
        {
            "dimension": ["owner", "segment"],
            "value": ["P1", "smb"],
            "label": ["Ada Okafor (sdr)", "smb"],
            "lead_count": [3, 3],
        }
    )
    labels = funnel.group_labels("owner", options)
    wide = funnel.breakdown_table(stages([5, 4, 3, 2, 1, 1], "P1"), "owner", labels)
    assert wide["Owner"].tolist() == ["Ada Okafor (sdr)"]
    figure = funnel_charts.small_multiples(stages([5, 4, 3, 2, 1, 1], "P1"), wide, "owner", labels)
    assert figure.layout.annotations[0].text == "Ada Okafor (sdr) · 5 leads"


def test_small_multiples_follow_the_table_order_and_cap_the_count():
    grouped = pd.concat(
        [stages([n, n // 2, n // 3, n // 4, n // 5, n // 6], f"g{n}") for n in range(10, 160, 10)]
    )
    wide = funnel.breakdown_table(grouped, "region", {}, "Lead")
    figure = funnel_charts.small_multiples(grouped, wide, "region", {}, limit=12)
    assert len(figure.data) == 12
    assert figure.layout.annotations[0].text.startswith("G150")
    assert list(figure.data[0].marker.color) == [TEAM_COLORS[o] for o in OWNERS]


def velocity(medians, p90s, pairs=(50, 50, 50, 50, 50)) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "from_stage_order": range(1, 6),
            "from_stage": NAMES[:5],
            "to_stage": NAMES[1:],
            "owner_team": OWNERS[1:],
            "pair_count": list(pairs),
            "median_days": medians,
            "p90_days": p90s,
        }
    )


def test_velocity_comparison_and_its_deltas():
    now = velocity([1.0, 2.0, 3.0, 4.0, 30.0], [2.0, 4.0, 6.0, 8.0, 60.0], pairs=(50, 50, 29, 50, 50))
    before = velocity([1.5, 2.0, np.nan, 3.0, 40.0], [3.0, 4.0, np.nan, 6.0, 90.0])
    table = funnel.velocity_comparison(now, before)
    assert table["step"].tolist() == funnel.STEP_NAMES
    assert table["median_change_days"].tolist()[:2] == [-0.5, 0.0]
    assert np.isnan(table["median_change_days"].iloc[2])
    assert table["p90_change_days"].iloc[4] == -30.0
    assert table["is_thin"].tolist() == [False, False, True, False, False]
    assert funnel.velocity_delta(-0.5) == ("-0.5 d", "inverse")  # faster: shown green
    assert funnel.velocity_delta(-0.01) == ("+0.0 d", "off")  # no change: grey, never "-0.0"
    assert funnel.velocity_delta(np.nan) == (None, "off")
    assert funnel.velocity_comparison(now, None)["previous_median_days"].isna().all()
    chart = funnel_charts.velocity_chart(table)
    assert chart.layout.xaxis.type == "log" and "days" in chart.layout.xaxis.title.text


@pytest.mark.parametrize(
    "window, expected",
    [
        # A quarter: the trend reaches back to 12 months before its end.
        ((dt.date(2026, 4, 1), dt.date(2026, 7, 1)), (dt.date(2025, 7, 1), dt.date(2026, 7, 1))),
        # Quarter to date (ends mid-month): the 12 months include the partial one.
        ((dt.date(2026, 4, 1), dt.date(2026, 5, 16)), (dt.date(2025, 6, 1), dt.date(2026, 5, 16))),
        # A window longer than a year is kept whole, as is an open one.
        ((dt.date(2024, 1, 1), dt.date(2026, 1, 1)), (dt.date(2024, 1, 1), dt.date(2026, 1, 1))),
        ((None, None), (None, None)),
    ],
)
def test_trend_window(window, expected):
    got = funnel.trend_filters(Filters(start=window[0], end=window[1], segments=("smb",)))
    assert (got.start, got.end) == expected and got.segments == ("smb",)


def test_trend_chart_marks_young_months_hollow_and_thin_ones_faint():
    months = pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"])
    trend = pd.DataFrame(
        {
            "created_month": np.repeat(months, 5),
            "from_stage_order": list(range(1, 6)) * 3,
            "owner_team": OWNERS[1:] * 3,
            "from_count": [100] * 10 + [100, 50, 20, 10, 5],
            "conversion_rate": [0.5] * 15,
            "is_too_young": [False] * 14 + [True],
        }
    )
    figure = funnel_charts.trend_chart(trend)
    won = figure.data[4]  # Opportunity → Won
    assert list(won.marker.color) == [TEAM_COLORS["sales"], TEAM_COLORS["sales"], "white"]
    assert list(won.marker.opacity) == [1.0, 1.0, 0.35]  # March rests on 5 records
    assert "too young" in won.hovertext[2] and "thin" in won.hovertext[2]
    assert figure.data[0].line.color == TEAM_COLORS["marketing"]


def exits_frame() -> pd.DataFrame:
    rows = [
        (1, "Lead", "marketing", 2, "MQL", None, None, 60),
        (1, "Lead", "marketing", None, None, "open", None, 30),
        (1, "Lead", "marketing", None, None, "disqualified", "spam", 10),
        (2, "MQL", "marketing", 3, "SAL", None, None, 40),
        (2, "MQL", "marketing", None, None, "disqualified", "not_a_fit", 20),
        (3, "SAL", "sales", 4, "SQL", None, None, 30),
        (3, "SAL", "sales", None, None, "disqualified", "no_budget", 6),
        (3, "SAL", "sales", None, None, "disqualified", "timing", 3),
        (3, "SAL", "sales", None, None, "disqualified", "no_authority", 1),
        (4, "SQL", "sales", 5, "Opportunity", None, None, 30),
        (5, "Opportunity", "sales", 6, "Won", None, None, 12),
        (5, "Opportunity", "sales", None, None, "lost", "price", 10),
        (5, "Opportunity", "sales", None, None, "lost", "competitor", 8),
    ]
    columns = [
        "from_stage_order",
        "from_stage",
        "from_owner_team",
        "to_stage_order",
        "to_stage",
        "exit_kind",
        "exit_reason",
        "lead_count",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["to_stage_order"] = frame["to_stage_order"].astype("Int64")
    return frame


def test_sankey_splits_every_exit_by_reason_and_colours_it():
    figure = funnel_charts.exits_sankey(exits_frame(), per_stage=2)
    sankey = figure.data[0]
    labels = list(sankey.node.label)
    assert labels[:6] == ["Lead (100)", "MQL (60)", "SAL (40)", "SQL (30)", "Opportunity (30)", "Won (12)"]
    # SAL had three reasons; with two per stage the smallest becomes "other reasons".
    assert "Disqualified: no budget (6)" in labels and "Disqualified: other reasons (1)" in labels
    assert "Lost: price (10)" in labels and "Still open (30)" in labels
    colors = dict(zip(labels, sankey.node.color))
    assert colors["Lead (100)"] == TEAM_COLORS["marketing"] and colors["SAL (40)"] == TEAM_COLORS["sales"]
    assert colors["Lost: price (10)"] == BAD_COLOR and colors["Disqualified: spam (10)"] == WARN_COLOR
    assert colors["Still open (30)"] == NEUTRAL_COLOR
    # Every lead leaves Lead once, and what flows in flows out.
    values = pd.Series(sankey.link.value)
    assert values[pd.Series(sankey.link.source) == 0].sum() == 100
    assert all(0 <= y <= 1 for y in sankey.node.y)


def test_sankey_keeps_tiny_exits_a_labels_line_apart():
    # 1,000 leads, three of them leaving Lead one by one: each exit is a fraction of a pixel tall.
    rows = [
        (1, "Lead", "marketing", 2, "MQL", None, None, 990),
        (1, "Lead", "marketing", None, None, "open", None, 7),
        (1, "Lead", "marketing", None, None, "disqualified", "spam", 1),
        (1, "Lead", "marketing", None, None, "disqualified", "competitor", 1),
        (1, "Lead", "marketing", None, None, "disqualified", "not_a_fit", 1),
    ]
    frame = exits_frame().iloc[0:0]
    frame = pd.concat([frame, pd.DataFrame(rows, columns=frame.columns)], ignore_index=True)
    frame["to_stage_order"] = frame["to_stage_order"].astype("Int64")
    figure = funnel_charts.exits_sankey(frame)
    sankey = figure.data[0]
    exits = pd.Series(sankey.node.y[6:]).sort_values()
    # Their labels are 11 px text: the exits' centres sit at least 14 px apart, so none collide.
    assert len(exits) == 4 and (exits.diff().dropna() * (figure.layout.height - 30) >= 14).all()


def test_for_people_keeps_numbers_numeric():
    frame = pd.DataFrame(
        {
            "stage_order": [1],
            "stage": ["MQL"],
            "from_previous_rate": [0.38449],
            "median_days": [1.26],
            "created_month": pd.to_datetime(["2026-03-01"]),
            "pair_count": [12],
            "is_thin": [True],
        }
    )
    shown = funnel.for_people(frame)
    assert shown.columns.tolist() == [
        "Stage",
        "From previous (%)",
        "Median (days)",
        "Created month",
        "Leads timed",
        "Thin (< 30 records)",
    ]
    assert shown.iloc[0].tolist() == ["MQL", 38.4, 1.3, dt.date(2026, 3, 1), 12, True]


def test_the_mode_sentence_says_what_is_counted():
    window = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 4, 1))
    cohort = funnel.mode_sentence("cohort", window, dt.date(2026, 6, 30))
    assert "leads created from 1 Jan 2026 to 31 Mar 2026" in cohort and "by 30 Jun 2026" in cohort
    period = funnel.mode_sentence("period", window, dt.date.today())
    assert "entered each stage from 1 Jan 2026 to 31 Mar 2026" in period
    assert "at any time" in funnel.mode_sentence("period", Filters(), dt.date.today())
    assert "a sales-sourced lead is never an MQL" in cohort


def test_nothing_counted_is_empty():
    assert funnel.is_empty(stages([0, 0, 0, 0, 0, 0]))
    assert not funnel.is_empty(stages([0, 2, 1, 0, 0, 0]))  # a period with entries but no new leads
    assert funnel.is_thin(29) and not funnel.is_thin(30) and funnel.is_thin(None)


@pytest.mark.parametrize("rows, cols, titles", [(1, 5, 5), (4, 3, 11), (2, 3, 4), (1, 3, 1)])
def test_grid_layouts_are_make_subplots_own(rows, cols, titles):
    import json

    from plotly.subplots import make_subplots

    names = [f"panel {i}" for i in range(titles)]
    spacing = {"horizontal_spacing": 0.08, "vertical_spacing": 0.1}
    expected = json.loads(
        make_subplots(rows=rows, cols=cols, subplot_titles=names, shared_xaxes=True, **spacing).to_json()
    )["layout"]
    expected.pop("template")
    assert funnel_charts._grid_layout(rows, cols, names, shared_xaxes=True, **spacing) == expected
    # A copy each time: filling one figure's layout leaves the next one's alone.
    funnel_charts._grid_layout(rows, cols, names, shared_xaxes=True, **spacing)["xaxis"]["range"] = [0, 1]
    assert "range" not in funnel_charts._grid_layout(rows, cols, names, shared_xaxes=True, **spacing)["xaxis"]
