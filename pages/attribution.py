"""Attribution: whose deal was it? Every model side by side, and leakage explained without blame."""

import streamlit as st

from handoff import metrics, ui
from handoff.attribution import leakage, view
from handoff.charts import fmt_count, fmt_usd
from handoff.text import md

ui.page_header(
    "Attribution",
    "Whose deal was it? Every model side by side, each team's share as a range, "
    "and leakage split into what marketing sent and how sales converted it.",
)
f = ui.filters()

left, middle, right = st.columns(3)
basis = left.segmented_control(
    "Credit for",
    list(view.BASES),
    format_func=view.BASES.get,
    default="revenue",
    required=True,
    key="attribution_basis",
    bind="query-params",
)
level = middle.segmented_control(
    "Roll up to",
    list(view.LEVELS),
    format_func=view.LEVELS.get,
    default="channel",
    required=True,
    key="attribution_level",
    bind="query-params",
)
unit = right.segmented_control(
    "Show",
    list(view.UNITS),
    format_func=view.UNITS.get,
    default="share",
    required=True,
    key="attribution_unit",
    bind="query-params",
)
totals = ui.query("attribution__scope_totals", f, basis=basis).iloc[0]
if totals["deal_count"] == 0:
    ui.no_data("deals")
    st.stop()

words = view.BASIS_WORDS[basis]
team_credit = ui.query("attribution__credit", f, basis=basis, level="team")
ranges = view.team_ranges(team_credit)
labels = view.key_labels(ui.query("filters__options"))
tiles = st.columns(4)
ui.metric_tile(tiles[0], view.SCOPE_METRICS[basis], totals["total_usd"])
ui.caption("What every model shares out; each model's credits add up to it to the cent.", where=tiles[0])
ui.metric_tile(tiles[1], "converting_journey_count", totals["attributed_deal_count"])
for tile, team in zip(tiles[2:], ("marketing", "sales"), strict=True):
    row = ranges.loc[team] if team in ranges.index else None
    ui.metric_tile(
        tile,
        f"{team}_credit_share_rate",
        None,
        value_text="–" if row is None else view.share_range(row.multi_lowest_rate, row.multi_highest_rate),
    )
    if row is not None:
        ui.caption(view.bounds_caption(row), where=tile)
ui.caption(
    md(
        "{}: {}, {} deals with no touch before their conversion point; they stay *unattributed* under "
        "every model.",
        metrics.label("unattributed_usd"),
        fmt_usd(totals["unattributed_usd"]),
        fmt_count(totals["unattributed_deal_count"]),
    )
)
if warning := view.thin_warning(totals):
    ui.warning(warning, icon=":material/warning:")

compare, receipt_tab, sourced_tab, leakage_tab = st.tabs(
    ["Model comparison", "Deal receipt", "Sourced vs influenced", "Leakage without blame"]
)

with compare:
    claims = view.robust_claims(
        team_credit, ui.query("attribution__credit", f, basis=basis, level="channel"), basis
    )
    ui.markdown(
        md("**What holds under every model**\n\n") + md("\n").join(md("- {}", claim) for claim in claims)
    )
    credit = ui.query("attribution__credit", f, basis=basis, level=level)
    st.plotly_chart(view.range_chart(credit, labels, level))
    ui.caption(
        f"In its team's colour, the light bar runs from the lowest to the highest share a {level} gets "
        "under any model (first and last touch usually set its ends), the dark bar across the "
        f"multi-touch models; each marker is one model. The {view.TOP_KEYS} largest by average share."
    )
    ui.caption(f"The table: {view.comparison_metric(unit).full_label}, one column per model.")
    ui.dataframe(
        view.comparison_table(credit, labels, unit),
        column_config={"Name": st.column_config.TextColumn(pinned=True)},
    )
    ui.download_csv(credit, f"attribution_credit_{basis}_{level}")

with receipt_tab:
    deals = ui.query("attribution__deals", f, basis=basis)
    options = dict(zip(deals["deal_id"], [view.deal_label(r) for r in deals.itertuples()], strict=True))
    deal_id = st.selectbox(
        "Deal",
        list(options),
        format_func=options.get,
        key="attribution_deal",
        bind="query-params",
        help="The largest 500 deals in scope, largest first.",
    )
    receipt = ui.query("attribution__receipt", f, basis=basis, deal_id=deal_id)
    st.plotly_chart(view.receipt_chart(receipt))
    ui.caption(
        "Each touch of the deal's lead up to the conversion point, its roles and its credit under every "
        "model (each column adds up to the deal's amount). Markov and Shapley share the deal by its "
        "channels' removal effects and equally among its channels."
    )
    ui.dataframe(view.receipt_table(receipt, labels))
    ui.download_csv(receipt, f"attribution_receipt_{deal_id}")

with sourced_tab:
    sourced = ui.query("attribution__sourced_influenced", f, basis=basis)
    st.plotly_chart(view.sourced_chart(sourced, basis))
    ui.caption(
        "Sourced counts each deal once, by who sourced its lead, so marketing- and sales-sourced add up to "
        "the total. Marketing-influenced (a marketing touch before the deal was created, whoever sourced "
        "it) overlaps both and is shown apart."
    )
    ui.table(view.sourced_table(sourced), f"attribution_sourced_{basis}")

with leakage_tab:
    before = f.previous()
    bands = ui.query(
        "attribution__conversion_shift_share", f, previous_start=before.start, previous_end=before.end
    )
    st.subheader("Why MQL → Won conversion changed")
    if before == f:
        ui.info("Pick a period with a start and an end to compare it with the one before.")
    elif bands["current_mql_count"].sum() == 0:
        ui.no_data("MQLs")
    else:
        parts = leakage.shift_share_parts(bands)
        ui.markdown(leakage.shift_share_sentence(parts))
        st.plotly_chart(leakage.waterfall_chart(parts, before.window_label(), f.window_label()))
        ui.caption(
            md(
                "Shift-share by lead-score band: *mix* is the change in which bands marketing sent (at last "
                "period's conversion), *rate* the change in conversion within each band (sales' lever), "
                "*interaction* both at once; they add up to the change. Both cohorts are given the same time "
                "after their period to be won."
            )
        )
        ui.dataframe(leakage.shift_share_table(bands))
        ui.download_csv(bands, "attribution_shift_share")
    st.subheader("Lead quality × follow-up speed")
    rate = st.segmented_control(
        "Conversion to",
        ["won_rate", "sql_rate"],
        default="won_rate",
        required=True,
        format_func={"won_rate": "Won", "sql_rate": "SQL"}.get,
        key="attribution_grid_rate",
        bind="query-params",
    )
    grid = ui.query("attribution__quality_speed_grid", f)
    st.plotly_chart(leakage.grid_chart(grid, rate))
    thin = grid[(grid["mql_count"] > 0) & grid["is_thin"]]
    if len(thin):
        ui.warning(
            f"{len(thin)} cells rest on fewer than {leakage.THIN_CELL} MQLs: left uncoloured, read with care.",
            icon=":material/warning:",
        )
    ui.dataframe(leakage.grid_table(grid))
    ui.download_csv(grid, "attribution_quality_speed")
    st.subheader("Where MQLs stop before SQL")
    loss = ui.query("attribution__mql_sql_loss", f)
    st.plotly_chart(leakage.loss_chart(loss))
    ui.caption(
        "Each MQL of the window that has not reached SQL, by its one reason; colour: whose lever it is "
        "(marketing, sales, shared). The follow-up SLA is 24 h (1 h from score 80), wall clock."
    )
    ui.dataframe(leakage.loss_table(loss))
    ui.download_csv(loss, "attribution_mql_sql_loss")
