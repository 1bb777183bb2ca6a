"""Attribution: Whose deal was it? Every model side by side, without blame."""

import streamlit as st

from handoff import ui

ui.page_header("Attribution", "Whose deal was it? Every model side by side, without blame.")
st.info("Coming next on this page: every attribution model, team shares as ranges and leakage without blame.")
