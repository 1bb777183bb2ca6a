"""Handoff: the entry point. Page config, the database check, navigation and the shared filters."""

import streamlit as st

from handoff import ui

st.set_page_config(page_title="Handoff", page_icon=":material/handshake:", layout="wide")
ui.require_sign_in()  # only when .streamlit/secrets.toml configures sign-in
ui.ensure_database()

navigation = st.navigation(
    {
        "Leadership": [
            st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
            st.Page("pages/campaigns.py", title="Campaigns", icon=":material/campaign:"),
        ],
        "Joint review": [
            st.Page("pages/funnel.py", title="Funnel", icon=":material/filter_alt:"),
            st.Page("pages/sla.py", title="SLA", icon=":material/timer:"),
            st.Page("pages/attribution.py", title="Attribution", icon=":material/balance:"),
        ],
        "Self-serve": [
            st.Page("pages/explore.py", title="Explore", icon=":material/table_chart:"),
            st.Page("pages/data.py", title="Data", icon=":material/database:"),
            st.Page("pages/definitions.py", title="Definitions", icon=":material/menu_book:"),
        ],
    }
)
ui.filter_bar()
navigation.run()
