"""The meeting pack: one self-contained HTML file with the numbers of a leadership review.

Overview KPIs, the funnel, the SLA scorecard, attribution by team across every model and the
leakage decomposition, with the filters and definitions used and the time it was generated. It
embeds Plotly once, so it opens offline and its charts stay interactive. Every number comes from
the same named queries as the pages, so the same database and arguments give the same numbers.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pandas as pd
import plotly.io as pio

from handoff import db, metrics, overview, text
from handoff.charts import TEAM_COLORS, fmt_pct, fmt_usd
from handoff.filters import Filters

STYLE = f"""
body {{ font-family: Inter, system-ui, -apple-system, sans-serif; color: #212529; margin: 0; background: #F8F9FA; }}
main {{ max-width: 1100px; margin: 0 auto; padding: 32px 24px 64px; background: white; }}
h1 {{ margin-bottom: 4px; }} h2 {{ margin-top: 40px; border-bottom: 2px solid #E9ECEF; padding-bottom: 6px; }}
.meta {{ color: #495057; font-size: 14px; }}
.tiles {{ display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; }}
.tile {{ border: 1px solid #DEE2E6; border-radius: 8px; padding: 12px; border-top: 4px solid #ADB5BD; }}
.tile.marketing {{ border-top-color: {TEAM_COLORS["marketing"]}; }} .tile.sales {{ border-top-color: {TEAM_COLORS["sales"]}; }}
.tile .label {{ font-size: 13px; color: #495057; }} .tile .value {{ font-size: 26px; font-weight: 600; }}
.tile .note {{ font-size: 12px; color: #868E96; }}
table {{ border-collapse: collapse; font-size: 13px; margin: 8px 0; }}
th, td {{ border-bottom: 1px solid #E9ECEF; padding: 4px 10px; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
dt {{ font-weight: 600; margin-top: 8px; }} dd {{ margin-left: 16px; color: #495057; }}
"""

SECTIONS = ("Overview", "Funnel", "SLA scorecard", "Attribution by team", "Leakage without blame", "Definitions")


class _Figures:
    """Turns figures into HTML divs, embedding plotly.js with the first one only."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, figure) -> str:
        self.count += 1
        return pio.to_html(figure, full_html=False, include_plotlyjs=self.count == 1,
                           div_id=f"figure-{self.count}", config={"displaylogo": False})


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, na_rep="–", escape=True)


def build_report(filters: Filters, *, db_path=None, generated_at: dt.datetime | None = None) -> str:
    """The meeting pack for `filters` as one HTML document."""
    from handoff import funnel, sla
    from handoff.attribution import view as attribution_view
    from handoff.attribution.models import MODEL_LABELS

    def query(name: str, scope: Filters = filters, **params) -> pd.DataFrame:
        return db.run_query(name, scope, db=db_path, **params)

    generated_at = generated_at or dt.datetime.now(dt.UTC)
    figure = _Figures()
    meta = db.read_meta(db_path)
    as_of = pd.Timestamp(query("data__as_of")["as_of_date"].iloc[0]).date()
    before = filters.previous()
    parts: list[str] = []

    # Overview
    current = query("overview__kpis").iloc[0].to_dict()
    previous = query("overview__kpis", before).iloc[0].to_dict()
    policies = sla.load_policies_or_last_good()
    compliance_now = query("sla__compliance", policies=policies.text)
    compliance_before = query("sla__compliance", before, policies=policies.text)
    current.update(overview.sla_by_team(compliance_now))
    previous.update(overview.sla_by_team(compliance_before))
    targets = query("overview__targets_by_month")
    tiles = "".join(
        f'<div class="tile {tile.kpi.owner_team or ""}"><div class="label">{html.escape(tile.kpi.label)}</div>'
        f'<div class="value">{html.escape(tile.value_text)}</div>'
        f'<div class="note">{html.escape(tile.delta_text or "no previous period to compare")}</div>'
        f'<div class="note">{html.escape(tile.target_text)}</div></div>'
        for tile in overview.tiles(current, previous, targets, filters.start, filters.end)
    )
    movements = overview.what_changed(query, filters, compliance_now, compliance_before)
    changed = "".join(f"<li>{html.escape(m.sentence())}</li>" for m in movements)
    parts.append(f'<h2 id="overview">Overview</h2><div class="tiles">{tiles}</div>'
                 f"<p class=\"meta\">Compared with {html.escape(before.describe().split(' · ')[0])}.</p>"
                 f"<h3>What changed</h3><ul>{changed or '<li>Nothing to compare.</li>'}</ul>")

    # Funnel
    stages = query("funnel__stage_counts", mode="cohort")
    parts.append('<h2 id="funnel">Funnel</h2>'
                 f"<p>{text.to_html(funnel.mode_sentence('cohort', filters, as_of))}</p>"
                 + (figure(funnel.funnel_chart(stages))
                    + _table(metrics.labelled(funnel.stage_table(stages), funnel.stage_columns("cohort")))
                    if not funnel.is_empty(stages) else "<p>No leads in this window.</p>"))

    # SLA scorecard
    card = query("sla__scorecard", policies=policies.text)
    parts.append('<h2 id="sla-scorecard">SLA scorecard</h2>'
                 "<p>Both teams' commitments, one colour rule. Compliance = met ÷ (met + breached); items still "
                 "inside their window are pending and not counted.</p>" + _table(sla.for_people(card)))

    # Attribution by team across models
    team_credit = query("attribution__credit", model="all", level="team", basis="revenue")
    ranges = attribution_view.team_ranges(team_credit) if not team_credit.empty else pd.DataFrame()
    range_lines = "".join(
        f"<li><b>{html.escape(metrics.label(f'{team}_credit_share_rate'))}</b>: {fmt_pct(row.lowest_rate)} "
        f"({html.escape(str(row.lowest_model))}) to {fmt_pct(row.highest_rate)} ({html.escape(str(row.highest_model))})"
        " of won revenue</li>"
        for team, row in ranges.iterrows()
    )
    wide = team_credit.pivot_table(index="key", columns="model", values="credit_usd", aggfunc="sum") \
        if not team_credit.empty else pd.DataFrame()
    wide = wide.reindex(columns=[m for m in MODEL_LABELS if m in wide.columns]).rename(columns=MODEL_LABELS)
    parts.append('<h2 id="attribution">Attribution by team</h2>'
                 "<p>Won revenue of deals closed in the window, credited to each team's touches under every "
                 "model; each team's share as a range across the models.</p>"
                 f"<ul>{range_lines or '<li>No won deals in this window.</li>'}</ul>"
                 + (_table(wide.map(fmt_usd).reset_index().rename(columns={"key": "team"})) if not wide.empty else "")
                 + (figure(attribution_view.range_chart(team_credit, {}, "team")) if not team_credit.empty else ""))

    # Leakage without blame
    bands = query("attribution__conversion_shift_share", previous_start=before.start, previous_end=before.end)
    if bands.empty or bands["current_mql_count"].sum() == 0 or bands["previous_mql_count"].sum() == 0:
        leakage = "<p>Not enough MQLs in both periods to decompose the change.</p>"
    else:
        shift = attribution_view.shift_share_parts(bands)
        leakage = (f"<p>{text.to_html(attribution_view.shift_share_sentence(shift))}</p>"
                   + figure(attribution_view.waterfall_chart(shift, before.describe().split(" · ")[0],
                                                             filters.describe().split(" · ")[0]))
                   + _table(attribution_view.shift_share_table(bands)))
    parts.append('<h2 id="leakage">Leakage without blame</h2>'
                 "<p>The change in MQL → Won conversion split into mix (the lead-score bands marketing sent), "
                 "rate (conversion within each band: sales' lever) and their interaction.</p>" + leakage)

    # Definitions: the registry's, the same list as the Definitions page
    definitions = "".join(
        f"<dt>{html.escape(m.full_label)} <span class=\"meta\">({html.escape(metrics.TEAM_NAMES[m.owner_team])}; "
        f"{html.escape(metrics.BASIS_NAMES[m.basis].lower())})</span></dt>"
        f"<dd>{html.escape(m.definition)} <i>{html.escape(m.formula)}</i></dd>"
        for m in metrics.registry().values())
    policy_rules = "".join(f"<dt>{html.escape(p.name)} ({html.escape(p.owner_team)})</dt>"
                           f"<dd>{html.escape(sla.describe_rule(p))}</dd>" for p in policies.policies.policies)
    models = "".join(f"<li>{html.escape(label)}</li>" for label in MODEL_LABELS.values())
    parts.append('<h2 id="definitions">Definitions</h2>'
                 "<p>Funnel stages: Lead (created_at) → MQL (mql_at) → <i>handoff</i> → SAL (sal_at) → SQL (sql_at) → "
                 "Opportunity (first deal created) → Won (first won deal closed). Marketing-sourced leads go Lead → "
                 "MQL → SAL; sales-sourced leads are never MQLs and join the path at their first sales stage. A lead "
                 "has reached a stage if it is on a path through it and has that stage or any later one. "
                 "<i>In the period</i>: the event's own date falls in the window; <i>from the period's leads</i>: "
                 "leads created in the window, followed to the as-of day.</p>"
                 f"<h3>Metrics</h3><dl>{definitions}</dl><h3>SLA policies</h3><dl>{policy_rules}</dl>"
                 f"<h3>Attribution models</h3><ul>{models}</ul>")

    title = f"Handoff meeting pack · {filters.describe().split(' · ')[0]}"
    header = (f"<h1>{html.escape(title)}</h1>"
              f'<p class="meta">Filters: {html.escape(filters.describe())}<br>'
              f"Data as of {as_of:%d %b %Y} ({html.escape(meta.get('source', 'imported'))} data, schema "
              f"{html.escape(meta.get('schema_version', '?'))}) · generated {generated_at:%Y-%m-%d %H:%M} UTC</p>"
              + "<nav>" + " · ".join(f'<a href="#{s.lower().replace(" ", "-").replace("-by-team", "")}">{s}</a>'
                                     for s in SECTIONS) + "</nav>")
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><main>{header}{''.join(parts)}</main></body></html>")


def write_report(out: str | Path, filters: Filters, *, db_path=None, generated_at: dt.datetime | None = None) -> Path:
    """Write the meeting pack to `out`: written whole under a name of its own, then renamed into place.

    Parallel runs to the same file all succeed; a failure (a full disk) leaves no partial file and
    the previous `out` as it was (`handoff.files.replacing_file`).
    """
    from handoff.files import replacing_file

    target = Path(out)
    document = build_report(filters, db_path=db_path, generated_at=generated_at)
    with replacing_file(target) as partial:
        partial.write_text(document, encoding="utf-8")
    return target


# ---------------------------------------------------------------------------------------------
# Command line


def add_commands(subparsers) -> None:
    """`python -m handoff report --start … --end … --out review.html`."""
    from handoff.cli import _parse_date, _parse_param, add_db_argument

    parser = subparsers.add_parser("report", help="write the self-contained meeting pack (HTML)")
    add_db_argument(parser)
    parser.add_argument("--start", type=_parse_date, required=True, help="window start, YYYY-MM-DD (inclusive)")
    parser.add_argument("--end", type=_parse_date, required=True, help="window end, YYYY-MM-DD (exclusive)")
    parser.add_argument("--out", required=True, help="the HTML file to write")
    parser.add_argument("--param", action="append", type=_parse_param, default=[], metavar="KEY=VALUE",
                        help="a shared filter, e.g. segments=smb,enterprise")
    parser.set_defaults(run=_report)


def _report(args) -> int:
    import sys

    from handoff.errors import ParameterError
    from handoff.filters import LIST_FIELDS

    lists = {}
    for key, value in args.param:
        if key not in LIST_FIELDS:
            raise ParameterError(f"report takes the shared filters {', '.join(LIST_FIELDS)}; not {key}")
        lists[key] = [part.strip() for part in value.split(",") if part.strip()] or None
    try:
        filters = Filters(start=args.start, end=args.end, **lists)
    except ValueError as exc:
        raise ParameterError(str(exc)) from None
    path = write_report(args.out, filters, db_path=args.db)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)", file=sys.stdout)
    return 0
