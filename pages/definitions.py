"""Definitions: every metric Handoff shows, with its formula, its basis and the pages that show it."""

import streamlit as st

from handoff import metrics, ui
from handoff.text import md

ui.page_header("Definitions", "What does each number mean, how is it computed, and where is it shown?")
ui.caption(
    "One registry (handoff/metrics.toml) defines every metric; each tile's and column's help text is its "
    "definition here. The sidebar filters do not change definitions."
)

for basis, words in metrics.BASIS_MEANING.items():
    ui.markdown(
        md("- **{}** — labels say *{}*. {}", metrics.BASIS_NAMES[basis], metrics.BASIS_WORDS[basis], words)
    )

left, middle, right = st.columns([1, 1, 2])
team = left.selectbox(
    "Owner",
    [None, *metrics.TEAM_NAMES],
    format_func=lambda t: metrics.TEAM_NAMES.get(t, "All"),
    key="definitions_team",
)
page = middle.selectbox(
    "Shown on",
    [None, *metrics.PAGES],
    key="definitions_page",
    format_func=lambda p: metrics.PAGE_TITLES.get(p, "Every page"),
)
search = right.text_input(
    "Search", key="definitions_search", placeholder="e.g. MQL, win rate, business hours"
)
chosen = metrics.matching(team=team, page=page, text=search)
if not chosen:
    ui.info("No metric matches; clear the search or a choice above.", icon=":material/search_off:")
    st.stop()
ui.caption(f"{len(chosen)} of {len(metrics.registry())} metrics.")
frame = metrics.definitions_frame(chosen)
ui.dataframe(
    frame.drop(columns="metric_id"),
    row_height=70,
    column_config={
        "Metric": st.column_config.TextColumn(width="medium", pinned=True),
        "Definition": st.column_config.TextColumn(width="large"),
        "Formula": st.column_config.TextColumn(width="medium"),
    },
)
ui.download_csv(frame, "handoff_metric_definitions")
