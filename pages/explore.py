"""Explore: Pivot, drill down and query the data yourself."""

import streamlit as st

from handoff import ui

ui.page_header("Explore", "Pivot, drill down and query the data yourself.")
st.info("Coming next on this page: a pivot with drill-down and a read-only SQL console.")
