"""Campaigns: What does each program cost, and what does it return?"""

import streamlit as st

from handoff import ui

ui.page_header("Campaigns", "What does each program cost, and what does it return?")
st.info("Coming next on this page: cost, leads, pipeline and ROI per campaign and channel.")
