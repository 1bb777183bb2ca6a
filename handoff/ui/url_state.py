"""Widgets that show labels and keep codes in the URL (`?segment=mid_market`, `?campaigns_model=w_shaped`).

Streamlit's `bind="query-params"` writes what a widget shows into the URL, so a picker that reads
"Mid-market" would put "Mid-market" in links. These widgets show labels and keep the stored codes in
the URL, the same ones the CLI's `--param` takes: the URL seeds the widget once per session and the
widget writes its codes back on every run (page switches included).
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st


def coded_multiselect(label: str, options: Mapping[str, str], key: str, where=None, **kwargs) -> list[str]:
    """A multiselect of `options` (code → label) whose codes live in the URL under `key`."""
    if key not in st.session_state:
        wanted = dict.fromkeys(st.query_params.get_all(key))
        st.session_state[key] = [code for code in wanted if code in options]
    chosen = (where or st).multiselect(
        label, list(options), format_func=options.__getitem__, key=key, **kwargs
    )
    write_url(key, chosen)
    return chosen


def coded_selectbox(
    label: str, options: Mapping[str, str], key: str, default: str, where=None, **kwargs
) -> str:
    """A selectbox of `options` (code → label) whose code lives in the URL under `key` (absent: `default`)."""
    if key not in st.session_state:
        wanted = st.query_params.get(key)
        st.session_state[key] = wanted if wanted in options else default
    chosen = (where or st).selectbox(label, list(options), format_func=options.__getitem__, key=key, **kwargs)
    write_url(key, [] if chosen == default else [chosen])
    return chosen


def write_url(key: str, codes: list[str]) -> None:
    """Put `codes` in the URL under `key` (repeated), or take `key` out when there are none."""
    if codes:
        if st.query_params.get_all(key) != list(codes):
            st.query_params[key] = list(codes)
    elif key in st.query_params:
        del st.query_params[key]
