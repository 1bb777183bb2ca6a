"""Page text goes through one place: pages never call Streamlit's text elements themselves, so every
string from data, a file, a URL or a user reaches markdown through handoff.ui, which escapes it (unless
it is Markdown Handoff wrote with handoff.text.md)."""

from __future__ import annotations

import ast

import pytest

from tests.fixtures import ROOT

TEXT_ELEMENTS = {
    "markdown",
    "caption",
    "info",
    "success",
    "warning",
    "error",
    "metric",
    "write",
    "toast",
    "badge",
}
SOURCES = sorted([ROOT / "app.py", *(ROOT / "pages").glob("*.py")])


def _is_streamlit(node: ast.AST) -> bool:
    """An expression that is a call of st.something (a container, columns, tabs…)."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "st"
    )


def _containers(tree: ast.AST) -> set[str]:
    """Names bound to Streamlit containers: `x = st.container()`, `a, b = st.columns(2)`, `with st.tabs…
    as t`, and the first name of `for tile, … in zip(st.columns(n), …)`."""
    names = {"st"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_streamlit(node.value):
            for target in node.targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        elif (
            isinstance(node, ast.For)
            and isinstance(node.iter, ast.Call)
            and node.iter.args
            and _is_streamlit(node.iter.args[0])
        ):
            first = node.target.elts[0] if isinstance(node.target, ast.Tuple) else node.target
            names |= {n.id for n in ast.walk(first) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.With):
            for item in node.items:
                if _is_streamlit(item.context_expr) and item.optional_vars is not None:
                    names |= {n.id for n in ast.walk(item.optional_vars) if isinstance(n, ast.Name)}
    return names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_pages_put_text_on_screen_only_through_ui(path):
    tree = ast.parse(path.read_text())
    containers = _containers(tree)
    direct = [
        f"line {node.lineno}: {ast.unparse(node.func)}(…)"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in TEXT_ELEMENTS
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in containers
    ]
    assert not direct, f"{path.name} writes text without handoff.ui: {direct}"


def test_the_check_finds_a_page_that_writes_text_itself():
    tree = ast.parse(
        "import streamlit as st\nleft, right = st.columns(2)\nright.caption(name)\nst.markdown(x)\n"
    )
    assert _containers(tree) >= {"st", "left", "right"}
