"""The meeting pack: one self-contained HTML file with the numbers of a leadership review.

Overview KPIs, the funnel, the SLA scorecard, attribution by team across every model and the
leakage decomposition, with the filters and definitions used and the time it was generated. It
embeds Plotly once, so it opens offline and its charts stay interactive. Every number comes from
the same named queries as the pages, so the same database and arguments give the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import jinja2
import pandas as pd
import plotly.io as pio
from markupsafe import Markup

from handoff import db, funnel, funnel_charts, labels, metrics, note_marks, overview, sla, text
from handoff.attribution import leakage
from handoff.attribution import view as attribution_view
from handoff.attribution.models import MODEL_LABELS
from handoff.charts import TEAM_COLORS, fmt_pct, fmt_usd
from handoff.files import replacing_file
from handoff.filters import Filters
from handoff.labels import fmt_label
from handoff.sla import view as sla_view
from handoff.workspace import Note

# The sections of the pack: (anchor, heading), in order.
SECTIONS = (
    ("overview", "Overview"),
    ("funnel", "Funnel"),
    ("sla-scorecard", "SLA scorecard"),
    ("attribution", "Attribution by team"),
    ("leakage", "Leakage without blame"),
    ("definitions", "Definitions"),
)
# With notes on the numbers, their list comes before the definitions.
NOTES_SECTION = ("notes", "Notes on the numbers")
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("handoff", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


# Every chart is this wide: it fits the printable width of both A4 and Letter (12 mm margins).
PRINT_WIDTH_PX = 680


class _Figures:
    """Turns figures into HTML divs, embedding plotly.js with the first one only; each chart is one
    <figure>, sized to print whole on a page (the template keeps it from breaking across pages)."""

    def __init__(self, notes: Sequence[Note] = ()) -> None:
        self.count = 0
        self.notes = notes
        self.marked: list[Note] = []  # the notes the charts so far carry a marker of

    def __call__(self, figure) -> Markup:
        self.count += 1
        self.marked += note_marks.drawn(figure, self.notes)
        figure.update_layout(width=PRINT_WIDTH_PX)
        chart = pio.to_html(
            figure,
            full_html=False,
            include_plotlyjs=self.count == 1,
            div_id=f"figure-{self.count}",
            config={"displaylogo": False},
        )
        return Markup('<figure class="chart">') + Markup(chart) + Markup("</figure>")


def _table(frame: pd.DataFrame) -> Markup:
    """A table for the pack: every cell escaped by pandas, the markup trusted."""
    return Markup(frame.to_html(index=False, border=0, na_rep="–", escape=True))


class _Pack:
    """What the meeting pack of one set of filters shows, section by section, from the named queries."""

    def __init__(self, filters: Filters, db_path, notes: Sequence[Note] = ()) -> None:
        self.filters, self.db_path, self.notes = filters, db_path, notes
        self.before = filters.previous()
        self.figure = _Figures(notes)
        self.policies = sla.load_policies_or_last_good()
        self.as_of = pd.Timestamp(self.query("data__as_of")["as_of_date"].iloc[0]).date()
        self.names = labels.Names.from_frames(self.query("filters__options"), self.query("data__names"))
        self.readiness = self.query("data__readiness")

    def query(self, name: str, scope: Filters | None = None, **params) -> pd.DataFrame:
        return db.run_query(name, scope or self.filters, db=self.db_path, **params)

    def overview(self) -> dict:
        current = self.query("overview__kpis").iloc[0].to_dict()
        previous = self.query("overview__kpis", self.before).iloc[0].to_dict()
        compliance_now = self.query("sla__compliance", policies=self.policies.text)
        compliance_before = self.query("sla__compliance", self.before, policies=self.policies.text)
        current.update(overview.sla_by_team(compliance_now))
        previous.update(overview.sla_by_team(compliance_before))
        targets = self.query("overview__targets_by_month")
        tiles = [
            self._tile(tile)
            for tile in overview.tiles(current, previous, targets, self.filters.start, self.filters.end)
        ]
        movements = overview.what_changed(self.query, self.filters, compliance_now, compliance_before)
        months = overview.quarter_against_target(self.query("overview__money_by_month"), targets, self.as_of)
        return {
            "tiles": tiles,
            "movements": [m.sentence() for m in movements],
            "previous": self.before.window_label(),
            "money_figure": self.figure(overview.money_vs_target_figure(months, self.notes)),
        }

    def _tile(self, tile: overview.Tile) -> dict:
        """A KPI tile; where the data lacks what its metric needs, it says so instead of a number."""
        lack = metrics.lacking(tile.kpi.metric.needs, self.readiness)
        return {
            "team": tile.kpi.owner_team or "",
            "label": tile.kpi.label,
            "value": "no data" if lack else tile.value_text,
            "delta": lack or tile.delta_text or "no previous period to compare",
            "target": "" if lack else tile.target_text,
        }

    def funnel(self) -> dict:
        stages = self.query("funnel__stage_counts", mode="cohort")
        empty = funnel.is_empty(stages)
        return {
            "sentence": Markup(text.to_html(funnel.mode_sentence("cohort", self.filters, self.as_of))),
            "empty": empty,
            "figure": "" if empty else self.figure(funnel_charts.funnel_chart(stages)),
            "table": ""
            if empty
            else _table(metrics.labelled(funnel.stage_table(stages), funnel.stage_columns("cohort"))),
        }

    def scorecard(self) -> dict:
        trend = self.query(
            "sla__compliance", sla_view.trend_filters(self.filters), policies=self.policies.text
        )
        card = self.query("sla__scorecard", policies=self.policies.text)
        for i, row in card.iterrows():
            if lack := metrics.lacking(sla_view.policy_needs(row.kind), self.readiness):
                card.loc[i, ["compliance_rate", "status"]] = [None, f"Can't be judged: {lack}"]
        return {
            "table": _table(sla.for_people(card)),
            "figure": self.figure(sla_view.trend_chart(trend, self.policies.policies, self.notes)),
        }

    def attribution(self) -> dict:
        team_credit = self.query("attribution__credit", model="all", level="team", basis="revenue")
        if team_credit.empty:
            return {"ranges": [], "table": "", "figure": ""}
        by_team = attribution_view.team_ranges(team_credit)
        ranges = [self._team_range(team, by_team) for team in ("marketing", "sales")]
        wide = team_credit.pivot_table(index="key", columns="model", values="credit_usd", aggfunc="sum")
        wide = wide.reindex(columns=[m for m in MODEL_LABELS if m in wide.columns]).rename(
            columns=MODEL_LABELS
        )
        # Every model shares out the same total: the last row says so.
        wide.loc["Total"] = wide.sum()
        wide.index = [fmt_label(key) for key in wide.index]
        shown = wide.map(fmt_usd).rename_axis("Team").reset_index()
        shown.columns.name = None
        return {
            "ranges": ranges,
            "table": _table(shown),
            "figure": self.figure(attribution_view.range_chart(team_credit, {}, "team")),
        }

    def _team_range(self, team: str, by_team: pd.DataFrame) -> dict:
        """A team's share of the won revenue across the models, or why there is none to give."""
        metric = metrics.get(f"{team}_credit_share_rate")
        lack = metrics.lacking(metric.needs, self.readiness)
        if lack or team not in by_team.index:
            return {"label": metric.full_label, "lack": lack or "no touch of this team before a won deal"}
        row = by_team.loc[team]
        return {
            "label": metric.full_label,
            "lack": None,
            "multi": attribution_view.share_range(row.multi_lowest_rate, row.multi_highest_rate),
            "multi_low_model": row.multi_lowest_model,
            "multi_high_model": row.multi_highest_model,
            "low": fmt_pct(row.lowest_rate),
            "low_model": row.lowest_model,
            "high": fmt_pct(row.highest_rate),
            "high_model": row.highest_model,
        }

    def leakage(self) -> dict | None:
        bands = self.query(
            "attribution__conversion_shift_share",
            previous_start=self.before.start,
            previous_end=self.before.end,
        )
        if bands.empty or bands["current_mql_count"].sum() == 0 or bands["previous_mql_count"].sum() == 0:
            return None
        shift = leakage.shift_share_parts(bands)
        chart = leakage.waterfall_chart(shift, self.before.window_label(), self.filters.window_label())
        return {
            "sentence": Markup(text.to_html(leakage.shift_share_sentence(shift))),
            "figure": self.figure(chart),
            "table": _table(leakage.shift_share_table(bands)),
        }

    def notes_listed(self) -> list[dict[str, str]]:
        """The notes of the pack's window (on any subject) and those its charts mark, by day: call it
        after the charts are drawn."""
        window = note_marks.applying(self.notes, None, self.filters.start, self.filters.end)
        shown = {note.note_id: note for note in [*window, *self.figure.marked]}
        policy_names = {p.id: p.name for p in self.policies.policies.policies}
        return note_marks.listed(note_marks.applying(shown.values()), self.names.campaigns, policy_names)

    def definitions(self) -> dict:
        """The registry's metrics (the Definitions page's list), the policies and the models."""
        return {
            "metrics": [
                {
                    "label": m.full_label,
                    "owner": metrics.TEAM_NAMES[m.owner_team],
                    "basis": metrics.BASIS_NAMES[m.basis].lower(),
                    "definition": m.definition,
                    "formula": m.formula,
                }
                for m in metrics.registry().values()
            ],
            "policies": [
                {"name": p.name, "team": p.owner_team, "rule": sla.describe_rule(p)}
                for p in self.policies.policies.policies
            ],
            "models": list(MODEL_LABELS.values()),
        }


def build_report(
    filters: Filters,
    *,
    db_path=None,
    generated_at: dt.datetime | None = None,
    notes: Sequence[Note] | None = None,
) -> str:
    """The meeting pack for `filters` as one HTML document (handoff/templates/meeting_pack.html.j2).

    `notes` are the notes on the numbers it marks on its charts and lists (those of its window or on
    a chart); None reads the workspace's active notes, so a caller can pass exactly those a review showed.
    """
    generated_at = generated_at or dt.datetime.now(dt.UTC)
    pack = _Pack(filters, db_path, note_marks.stored_notes() if notes is None else notes)
    meta = db.read_meta(db_path)
    # In page order: the first chart embeds plotly.js; the list of notes comes after every chart.
    overview_section = pack.overview()
    parts = {
        "funnel": pack.funnel(),
        "scorecard": pack.scorecard(),
        "attribution": pack.attribution(),
        "leakage": pack.leakage(),
    }
    listed = pack.notes_listed()
    return _TEMPLATES.get_template("meeting_pack.html.j2").render(
        title=f"Handoff meeting pack · {filters.window_label()}",
        filters=filters.describe(pack.names.option),
        as_of=f"{pack.as_of:%d %b %Y}",
        source=meta.get("source", "imported"),
        schema_version=meta.get("schema_version", "?"),
        generated_at=f"{generated_at:%Y-%m-%d %H:%M}",
        sections=(*SECTIONS[:-1], NOTES_SECTION, SECTIONS[-1]) if listed else SECTIONS,
        colors=TEAM_COLORS,
        **overview_section,
        **parts,
        notes=listed,
        **pack.definitions(),
    )


def write_report(
    out: str | Path,
    filters: Filters,
    *,
    db_path=None,
    generated_at: dt.datetime | None = None,
    notes: Sequence[Note] | None = None,
) -> Path:
    """Write the meeting pack to `out`: written whole under a name of its own, then renamed into place.

    Parallel runs to the same file all succeed; a failure (a full disk) leaves no partial file and
    the previous `out` as it was (`handoff.files.replacing_file`).
    """
    target = Path(out)
    document = build_report(filters, db_path=db_path, generated_at=generated_at, notes=notes)
    with replacing_file(target) as partial:
        partial.write_text(document, encoding="utf-8")
    return target
