"""Data: Load your own CRM data and check its health."""

import streamlit as st

from handoff import ui

ui.page_header("Data", "Load your own CRM data and check its health.")
st.info("Coming next on this page: imports with presets and mappings, and data-health checks.")
