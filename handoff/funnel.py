"""The shared funnel: the `funnel__stage_counts` computed query, and the Funnel page's tables and charts.

Numbers come from the `queries/funnel__*.sql` files; this module only reshapes them for people
(labels, colours, the handoff line, "thin" marks) and never touches Streamlit.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from handoff import db, metrics
from handoff.charts import fmt_count, fmt_pct
from handoff.filters import Filters, add_months
from handoff.labels import fmt_label
from handoff.text import Markdown, md

# The demand waterfall of DESIGN.md: (order, stage, owner team). Display only; the SQL holds the rules.
STAGES = (
    (1, "Lead", "marketing"),
    (2, "MQL", "marketing"),
    (3, "SAL", "sales"),
    (4, "SQL", "sales"),
    (5, "Opportunity", "sales"),
    (6, "Won", "sales"),
)
STAGE_NAMES = {order: name for order, name, _ in STAGES}
STEP_NAMES = [f"{a} → {b}" for (_, a, _), (_, b, _) in zip(STAGES, STAGES[1:])]
OVERALL_STEP = "Lead → Won"
# A rate resting on fewer records than this is marked as thin.
THIN_RECORDS = 30
# Most leads the drill-down lists (funnel__leads' $row_limit).
DRILL_DOWN_ROWS = 10_000
MODES = {"cohort": "Cohort", "period": "Period"}
GROUP_BY = {
    "channel": "Channel",
    "segment": "Segment",
    "region": "Region",
    "company_size": "Company size",
    "owner": "Owner",
}
_THIN_STYLE = "color: #868E96; font-style: italic"


def is_thin(records) -> bool:
    """Whether a rate resting on `records` records is too thin to trust."""
    return records is None or pd.isna(records) or records < THIN_RECORDS


# ---------------------------------------------------------------------------------------------
# The contract query: funnel__stage_counts


def _declarations(query_file: str) -> str:
    """The `-- $name …` parameter lines of a query file, so a computed query declares the same ones."""
    lines = db.query_file(query_file).read_text().splitlines()
    return "\n".join(line for line in lines if line.startswith("-- $"))


@db.computed_query(
    "funnel__stage_counts",
    "One row per funnel stage: stage_order, stage, owner_team, reached_count, from_previous_rate, "
    "from_first_rate (cohort: leads created in the window that reached the stage by now; period: "
    "stage entries in the window). With $group_by, one block of stages per value, group_value first.",
    _declarations("funnel__stage_counts_by_group"),
)
def stage_counts(params: dict, db_path: str) -> pd.DataFrame:
    """funnel__stage_counts_by_group, without its group_value column when nothing is grouped."""
    frame = db.run_query("funnel__stage_counts_by_group", db=db_path, **params)
    if params.get("group_by") is None:
        frame = frame.drop(columns="group_value")
    return frame.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Words


def window_words(filters: Filters) -> str:
    """The window in words: 'from 1 Jan 2026 to 31 Mar 2026', 'since …', 'at any time'."""
    if filters.start and filters.end:
        last = filters.end - dt.timedelta(days=1)
        return f"from {_day(filters.start)} to {_day(last)}"
    if filters.start:
        return f"since {_day(filters.start)}"
    if filters.end:
        return f"before {_day(filters.end)}"
    return "at any time"


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def mode_sentence(mode: str, filters: Filters, as_of: dt.date) -> Markdown:
    """The one sentence that says which funnel is shown and what each bar counts."""
    window = window_words(filters)
    if mode == "period":
        return md(
            "**Period funnel**: how many leads entered each stage {} — a different set of leads at each "
            "stage, so a step compares flows and can exceed 100 %.",
            window,
        )
    return md(
        "**Cohort funnel**: the leads created {}, each counted at every stage it had reached by {} (a lead "
        "that skipped a stage counts as having reached it; a sales-sourced lead is never an MQL and joins at "
        "its first sales stage).",
        window,
        _day(as_of),
    )


def velocity_caption(filters: Filters) -> str:
    """What the velocity numbers are and what they are compared with."""
    previous = filters.previous()
    against = (
        f"against the previous window of the same length ({window_words(previous)})"
        if previous != filters
        else "(an open window has no previous one to compare with)"
    )
    return (
        f"Median days between consecutive stages where a lead has both timestamps, {against}. "
        "Lower is faster."
    )


# The Funnel page's headline tiles: (registry metric in period mode, the stage or step it reads).
HEADLINE = (
    ("lead_count", "Lead"),
    ("mql_to_sal_rate", "SAL"),
    ("won_lead_count", "Won"),
    ("lead_to_won_rate", "Lead → Won"),
)


def headline_metric(period_id: str, mode: str) -> str:
    """The registry id of a headline tile for the mode: its cohort twin in cohort mode (Leads have one basis)."""
    if period_id == "lead_count":
        return period_id
    if mode != "cohort":
        return period_id
    return {"won_lead_count": "cohort_won_count"}.get(period_id, f"cohort_{period_id}")


def headline_values(stages: pd.DataFrame) -> dict[str, float]:
    """The numbers behind the headline tiles, from funnel__stage_counts."""
    by_stage = stages.set_index("stage")
    return {
        "Lead": by_stage.loc["Lead", "reached_count"],
        "SAL": by_stage.loc["SAL", "from_previous_rate"],
        "Won": by_stage.loc["Won", "reached_count"],
        "Lead → Won": by_stage.loc["Won", "from_first_rate"],
    }


def stage_columns(mode: str) -> dict[str, str]:
    """The stage table's columns as ui.metric_table takes them: registry metrics of the mode's basis."""
    c = "cohort_" if mode == "cohort" else ""
    return {
        "stage": "Stage",
        "owner_team": "Owner",
        "reached_count": f"{c}stage_reached_count",
        "marketing_sourced_count": f"{c}stage_marketing_sourced_count",
        "sales_sourced_count": f"{c}stage_sales_sourced_count",
        "from_previous_count": f"{c}stage_from_previous_count",
        "joined_count": f"{c}stage_joined_count",
        "from_previous_rate": f"{c}stage_conversion_rate",
        "previous_count": "Records the rate rests on",
        "thin": "Thin",
        "from_first_rate": f"{c}stage_share_of_first_rate",
    }


def velocity_columns(mode: str) -> dict[str, str]:
    """The velocity table's columns: each step's median and 90th percentile, now and in the window before."""
    c = "cohort_" if mode == "cohort" else ""
    median, p90 = metrics.label(f"{c}step_median_days"), metrics.label(f"{c}step_p90_days")
    return {
        "step": "Step",
        "owner_team": "Owner",
        "pair_count": "Leads timed",
        "median_days": f"{c}step_median_days",
        "p90_days": f"{c}step_p90_days",
        "previous_median_days": f"{median}, previous window",
        "previous_p90_days": f"{p90}, previous window",
        "median_change_days": "Median change (days)",
        "thin": "Thin",
    }


TREND_COLUMNS = {
    "created_month": "Created month",
    "step": "Step",
    "owner_team": "Owner",
    "from_count": "At the first stage",
    "to_count": "Went on to the next",
    "conversion_rate": "monthly_conversion_rate",
    "young": "Too young to judge",
}
EXIT_COLUMNS = {
    "from_stage": "From",
    "to_stage": "To",
    "exit_kind": "Exit",
    "exit_reason": "Reason",
    "lead_count": "exit_lead_count",
}


def group_names(wide: pd.DataFrame) -> dict[str, str]:
    """Value → label of each group of a breakdown table."""
    return dict(zip(wide["group_value"], wide.iloc[:, 0], strict=True))


def group_labels(group_by: str | None, options: pd.DataFrame) -> dict[str, str]:
    """Value → label for a breakdown dimension (owners get their names from filters__options)."""
    if group_by == "owner":
        owners = options[options["dimension"] == "owner"]
        return dict(zip(owners["value"], owners["label"], strict=True))
    return {}


def group_label(value, labels: dict[str, str]) -> str:
    """A breakdown group's label: the name given (owners), or the value in words (the labels layer)."""
    return labels.get(value) or fmt_label(value)


_PEOPLE_NAMES = {
    "reached_count": "Reached",
    "previous_count": "Records (previous stage)",
    "pair_count": "Leads timed",
    "previous_pair_count": "Leads timed (previous window)",
    "from_count": "At first stage",
    "to_count": "Reached next stage",
    "lead_count": "Leads",
    "is_thin": f"Thin (< {THIN_RECORDS} records)",
    "is_too_young": "Too young to judge",
    "p90_days": "90th percentile (days)",
    "previous_p90_days": "90th percentile, previous window (days)",
    "p90_change_days": "90th percentile change (days)",
    "month_age_days": "Median lead age (days)",
    "median_days_to_stage": "Median days to next stage",
    "group_value": "Group",
}


def for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """A query result as a table for people: rates in %, days to one decimal, words for column names.

    Values stay numeric (so sorting and the CSV download still work); `_order` helper columns go.
    """
    shown = frame.drop(columns=[c for c in frame.columns if c.endswith("_order")])
    names = {}
    for column in shown.columns:
        if column in _PEOPLE_NAMES:
            names[column] = _PEOPLE_NAMES[column]
        elif column.endswith("_rate"):
            shown[column] = (100 * shown[column].astype(float)).round(1)
            names[column] = fmt_label(column.removesuffix("_rate")) + " (%)"
        elif column.endswith("_days"):
            names[column] = fmt_label(column.removesuffix("_days")) + " (days)"
        else:
            names[column] = fmt_label(column)
        if column.endswith("_days"):
            shown[column] = shown[column].astype(float).round(1)
        elif column.endswith("_month"):
            shown[column] = pd.to_datetime(shown[column]).dt.date
        elif column.endswith("_at"):
            shown[column] = pd.to_datetime(shown[column]).dt.floor("min")
    return shown.rename(columns=names)


# ---------------------------------------------------------------------------------------------
# The funnel itself


def is_empty(stages: pd.DataFrame) -> bool:
    """True when the funnel counts nothing at all (the filters match no lead or no entry)."""
    return stages.empty or int(stages["reached_count"].sum()) == 0


def step_bases(stages: pd.DataFrame) -> pd.Series:
    """The records each stage's from_previous_rate rests on (DESIGN.md): Lead → MQL the marketing-sourced
    leads, every later step the previous stage; none for Lead. `stages` is one funnel, in stage order."""
    ordered = stages.sort_values("stage_order")
    bases = ordered["reached_count"].shift(1)
    bases.iloc[1:2] = ordered["marketing_sourced_count"].iloc[0:1].to_numpy()
    return bases.astype("Int64").reset_index(drop=True)


def stage_table(stages: pd.DataFrame) -> pd.DataFrame:
    """The funnel as a table for people: each conversion with the records it rests on, thin ones marked."""
    table = stages[
        [
            "stage_order",
            "stage",
            "owner_team",
            "reached_count",
            "from_previous_rate",
            "from_first_rate",
            "marketing_sourced_count",
            "sales_sourced_count",
            "joined_count",
        ]
    ]
    table = table.sort_values("stage_order").reset_index(drop=True)
    table["previous_count"] = step_bases(table)
    table["from_previous_count"] = table["reached_count"] - table["joined_count"]
    table["thin"] = ""
    table["is_thin"] = [
        order > 1 and is_thin(n) for order, n in zip(table["stage_order"], table["previous_count"])
    ]
    table["thin"] = table["is_thin"].map({True: "thin", False: ""})
    return table


# ---------------------------------------------------------------------------------------------
# Breakdown


def sort_options() -> list[str]:
    """What a breakdown can be sorted by: volume, each step's conversion, and overall conversion."""
    return ["Lead", *STEP_NAMES, OVERALL_STEP]


def breakdown_table(
    grouped: pd.DataFrame, group_by: str, labels: dict[str, str], sort_by: str = "Lead"
) -> pd.DataFrame:
    """One row per group: the count at each stage and the conversion of every step, sorted descending.

    Counts and rates are the query's own (reached_count, from_previous_rate, from_first_rate of Won).
    """
    orders = [order for order, _, _ in STAGES]

    def spread(values: str) -> pd.DataFrame:
        return grouped.pivot(index="group_value", columns="stage_order", values=values).reindex(
            columns=orders
        )

    counts, rates = spread("reached_count").fillna(0).astype(int), spread("from_previous_rate").astype(float)
    wide = pd.DataFrame(
        {
            GROUP_BY[group_by]: [group_label(v, labels) for v in counts.index],
            "group_value": counts.index.astype(str),
        }
    )
    for order, name, _ in STAGES:
        wide[name] = counts[order].to_numpy()
    for (order, _, _), step in zip(STAGES[1:], STEP_NAMES):
        wide[step] = rates[order].to_numpy()
    wide[OVERALL_STEP] = spread("from_first_rate").astype(float)[orders[-1]].to_numpy()
    sort_by = sort_by if sort_by in wide.columns else "Lead"
    return wide.sort_values([sort_by, "Lead"], ascending=False, na_position="last").reset_index(drop=True)


def _step_records(step: str) -> str:
    """The count column a step's rate rests on: its first stage."""
    return step.split(" → ")[0]


def breakdown_styler(wide: pd.DataFrame):
    """The breakdown for display: rates as percentages, the thin ones (< 30 records) grey and italic."""
    shown = wide.drop(columns="group_value")
    rate_columns = [*STEP_NAMES, OVERALL_STEP]

    def thin_cells(frame: pd.DataFrame) -> pd.DataFrame:
        styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
        for step in rate_columns:
            styles.loc[frame[_step_records(step)] < THIN_RECORDS, step] = _THIN_STYLE
        return styles

    return (
        shown.style.format({c: fmt_count for c in STAGE_NAMES.values()})
        .format({c: fmt_pct for c in rate_columns}, na_rep="–")
        .apply(thin_cells, axis=None)
    )


# ---------------------------------------------------------------------------------------------
# Velocity


def velocity_comparison(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Each step's median and p90 days in the window beside those of the previous window."""
    table = current[
        ["from_stage_order", "from_stage", "to_stage", "owner_team", "pair_count", "median_days", "p90_days"]
    ].copy()
    table.insert(0, "step", [f"{a} → {b}" for a, b in zip(table["from_stage"], table["to_stage"])])
    before = (previous if previous is not None else current.iloc[0:0])[
        ["from_stage_order", "pair_count", "median_days", "p90_days"]
    ]
    before = before.rename(
        columns={
            "pair_count": "previous_pair_count",
            "median_days": "previous_median_days",
            "p90_days": "previous_p90_days",
        }
    )
    table = table.merge(before, on="from_stage_order", how="left")
    table["median_change_days"] = table["median_days"] - table["previous_median_days"]
    table["p90_change_days"] = table["p90_days"] - table["previous_p90_days"]
    table["is_thin"] = table["pair_count"] < THIN_RECORDS
    table["thin"] = table["is_thin"].map({True: "thin", False: ""})
    return table.drop(columns=["from_stage", "to_stage"])


def velocity_delta(change_days) -> tuple[str | None, str]:
    """A step's change in median days as a metric delta and its colour (slower is worse; none is grey)."""
    if change_days is None or pd.isna(change_days):
        return None, "off"
    rounded = round(float(change_days), 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{rounded:+.1f} d", "off" if rounded == 0 else "inverse"


# ---------------------------------------------------------------------------------------------
# Conversion trend


def trend_filters(filters: Filters, months: int = 12) -> Filters:
    """The window for the monthly trend: at least the `months` calendar months up to the window's end."""
    if filters.end is None:
        return filters
    last_month = (filters.end - dt.timedelta(days=1)).replace(day=1)
    start = add_months(last_month, -(months - 1))
    if filters.start is None or filters.start < start:
        return filters
    return filters.with_window(start, filters.end)


# ---------------------------------------------------------------------------------------------
# Where leads leave


def trend_table(trend: pd.DataFrame) -> pd.DataFrame:
    """The conversion trend with each step named and the too-young months marked in words."""
    table = trend.copy()
    table["created_month"] = pd.to_datetime(table["created_month"]).dt.strftime("%b %Y")
    table["step"] = table["from_stage"] + " → " + table["to_stage"]
    table["young"] = table["is_too_young"].map({True: "too young", False: ""})
    return table


def exits_table(exits: pd.DataFrame) -> pd.DataFrame:
    """The exit links with exits and reasons in words ('Disqualified', 'Not a fit')."""
    table = exits.copy()
    table["exit_kind"] = table["exit_kind"].map(
        {"disqualified": "Disqualified", "lost": "Lost", "open": "Still open"}
    )
    table["exit_reason"] = table["exit_reason"].map(lambda r: "" if pd.isna(r) else fmt_label(r))
    return table
