"""SLA: both teams' commitments on one scorecard, the breaches, the live queue and what-ifs."""

import streamlit as st

from handoff import metrics, sla, ui
from handoff.charts import TEAM_COLORS, fmt_count, fmt_pct
from handoff.sla import view
from handoff.text import md

ui.page_header("SLA", "Is each team keeping its side of the agreement, this period and over time?")
f = ui.filters()
load = sla.load_policies_or_last_good()
if load.error:
    ui.warning(
        md(
            "**The policy file has a mistake**: {}. Showing the {} until it is fixed.",
            load.error,
            load.source,
        ),
        icon=":material/rule:",
    )

with st.expander(
    "What if? Change a threshold to see compliance recompute (nothing is saved)", icon=":material/tune:"
):
    edits, boxes = {}, st.columns(4)
    for index, t in enumerate(sla.editable_thresholds(load.policies)):
        with boxes[index % 4]:
            if t.choices:
                edits[t.key] = st.segmented_control(
                    t.label,
                    t.choices,
                    default=t.value,
                    required=True,
                    key=t.key,
                    bind="query-params",
                    help=t.help,
                )
            else:
                edits[t.key] = st.number_input(
                    t.label,
                    t.minimum,
                    t.maximum,
                    float(t.value),
                    t.step,
                    key=t.key,
                    bind="query-params",
                    help=t.help,
                )
policies = sla.apply_thresholds(load.policies, edits)
text = policies.to_text()
# The twelve-month trend first: the scorecard's windows and the tabs below are cut out of its evaluation.
trend = ui.query("sla__compliance", view.trend_filters(f), policies=text)
card = ui.query("sla__scorecard", f, policies=text)
if card["due_count"].sum() == 0:
    ui.no_data("MQLs or monthly targets")
    st.stop()
as_of = ui.query("sla__latest_timestamp")["as_of_at"].iloc[0]
rates = {column: st.column_config.NumberColumn(format="%.1f %%") for column in view.RATE_COLUMNS}
if policies != load.policies:
    ui.info(
        md("**What-if**: the numbers below use the thresholds edited above, not the agreed ones."),
        icon=":material/science:",
    )
    agreed = ui.query("sla__scorecard", f, policies=load.text)
    ui.dataframe(view.for_people(view.compare_scorecards(agreed, card)), column_config=rates)

ui.caption(
    f"Compliance = met / (met + breached). Items still inside their window at the data's latest "
    f"timestamp ({as_of:%d %b %Y %H:%M} UTC) are pending and never counted as met. One rule for both "
    f"teams: green at a policy's goal, amber up to {policies.amber_points:g} points below, red "
    "further below."
)
for column, team in zip(st.columns(2), ("sales", "marketing"), strict=True):
    heading, subtitle = view.TEAM_HEADINGS[team]
    # Our own heading in the team's colour (no data in it).
    ui.markdown(
        md("<h4 style='color:{};margin-bottom:0'>{}</h4>", TEAM_COLORS[team], heading),
        where=column,
        unsafe_allow_html=True,
    )
    ui.caption(subtitle, where=column)
    for row in card[card["owner_team"] == team].itertuples():
        with column.container(border=True):
            gate = ui.metric_tile(
                st,
                "policy_compliance_rate",
                row.compliance_rate,
                team=team,
                label=f"{row.policy_name} · {metrics.label('policy_compliance_rate').lower()}",
                delta=view.delta_points(row.compliance_rate, row.previous_compliance_rate),
                delta_description=f"previous period {fmt_pct(row.previous_compliance_rate)}",
                chart_data=view.trend_values(trend, row.policy_id),
                border=False,
                needs=view.policy_needs(row.kind),
                help=view.kpi_help(row, policies.amber_points),
            )
            label, color = view.status_badge(row.status, gate)
            ui.badge(label, color)
            ui.markdown(md("**{}**", view.counted_text(row, policies, gate)))
            judged = gate is None or gate.status != "missing"
            ui.caption(
                f"{row.rule_text}; goal {row.goal_rate:.0%}."
                + (
                    f"  \n{row.measure_text} · {fmt_count(row.breached_count)} breached, "
                    f"{fmt_count(row.pending_count)} pending"
                    if judged
                    else ""
                )
            )
notes = ui.notes()
trend_figure = view.trend_chart(trend, policies, notes)
st.plotly_chart(trend_figure)
ui.note_caption(trend_figure, notes, policies)
with st.expander("Monthly numbers behind the trend", icon=":material/table:"):
    ui.table(view.for_people(trend), "sla_compliance_by_month", column_config=rates)

# With a CRM link template configured, every lead in the lists opens its record there.
crm = view.crm_lead_url()
RECORD_LINK = {view.RECORD_COLUMN: st.column_config.LinkColumn(display_text="Open in CRM")}
reps, sources, breaches, queue, speed = st.tabs(
    ["Per rep", "Per channel or campaign", "Breaches", "Live queue", "Effect of speed"]
)
with reps:
    ui.caption("Sales' policies per lead owner, worst first; click a column header to sort.")
    ui.table(
        view.for_people(ui.query("sla__compliance_by_rep", f, policies=text)),
        "sla_by_rep",
        column_config=rates,
    )
with sources:
    group_by = st.segmented_control(
        "Group by",
        ["channel", "campaign"],
        default="channel",
        required=True,
        key="sla_group_by",
        bind="query-params",
        format_func=str.capitalize,
    )
    ui.caption(
        "Marketing's quality policy per source: the months each met the acceptance minimum, and each "
        "source's share of MQLs (volume and pipeline targets are company-wide)."
    )
    by_source = ui.query("sla__compliance_by_source", f, policies=text, group_by=group_by)
    ui.table(view.for_people(by_source), f"sla_by_{group_by}", column_config=rates)
with breaches:
    names = dict(zip(card["policy_id"], card["policy_name"], strict=True))
    chosen = st.selectbox(
        "Policy",
        [None, *names],
        format_func=lambda p: names.get(p, "All policies"),
        key="sla_breach_policy",
        bind="query-params",
    )
    found = ui.query("sla__breaches", f, policies=text, policy_id=chosen)
    ui.caption(
        f"{fmt_count(len(found))} breaches in the window, the biggest misses of each policy first: "
        "MQLs with their owner, months with the team."
    )
    ui.table(
        view.with_record_links(view.for_people(found), found["lead_id"], crm),
        "sla_breaches",
        column_config=RECORD_LINK,
    )
with queue:
    waiting = ui.query("sla__live_queue", f, policies=text)
    left, middle, right = st.columns(3)
    ui.metric_tile(left, "waiting_mql_count", len(waiting))
    for tile, hours in ((middle, 1), (right, 24)):
        ui.metric_tile(
            tile,
            "waiting_mql_count",
            (waiting["hours_left"] <= hours).sum(),
            label=f"{metrics.label('waiting_mql_count')}, due within {hours} h",
        )
    ui.caption(
        f"Most urgent first, as of {as_of:%d %b %Y %H:%M} UTC. Time left is on each policy's own clock: "
        "business hours count only the working hours of the lead's region."
    )
    ui.table(view.queue_for_people(waiting, crm), "sla_live_queue", column_config=RECORD_LINK)
with speed:
    clock = st.segmented_control(
        "Measure response time on",
        ["policy", "business", "wall"],
        default="policy",
        required=True,
        key="sla_speed_clock",
        bind="query-params",
        format_func={"policy": "The policy's clock", "business": "Business hours", "wall": "Clock hours"}.get,
    )
    timing = ui.query("sla__response_time", f, policies=text, clock=clock).iloc[0]
    tiles = st.columns(3)
    for tile, (metric_id, hours) in zip(tiles, view.response_metrics(timing), strict=False):
        ui.metric_tile(tile, metric_id, hours, value_text=view.response_tile_text(hours, timing.clock))
        if sla.answered_before_opening(hours, timing.clock):
            ui.caption(view.BEFORE_OPENING_NOTE, where=tile)
    ui.metric_tile(tiles[2], "never_followed_up_count", timing.never_count)
    bands = ui.query("sla__response_bands", f, policies=text, clock=clock)
    st.plotly_chart(view.speed_chart(bands))
    ui.table(view.for_people(bands), "sla_response_bands", column_config=rates)
