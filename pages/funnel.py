"""Funnel: One funnel both teams read the same way, with the handoff marked."""

import streamlit as st

from handoff import ui

ui.page_header("Funnel", "One funnel both teams read the same way, with the handoff marked.")
st.info("Coming next on this page: the six-stage funnel, cohort and period views, velocity and where leads leave.")
