"""Overview: the leadership screen (KPI tiles arrive with the Overview issue)."""

import streamlit as st

from handoff import ui

ui.page_header("Overview", "Where do marketing and sales stand this period, on one set of numbers?")
st.info("The KPI tiles, targets and pipeline coverage are coming next. Meanwhile, what the database holds:")
counts = ui.query("data__table_counts")
ui.table(counts, "table_counts")
