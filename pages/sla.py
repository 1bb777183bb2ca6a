"""SLA: Is each team keeping its side of the agreement?"""

import streamlit as st

from handoff import ui

ui.page_header("SLA", "Is each team keeping its side of the agreement?")
st.info("Coming next on this page: the two-sided scorecard, breaches and the live queue.")
