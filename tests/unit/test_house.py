"""The house rules, checked from the code: small modules and functions, imports that point one way."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import ROOT

PACKAGE = ROOT / "handoff"
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 60
MAX_COMPLEXITY = 15


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its __init__)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported_modules(node: ast.AST, name: str, path: Path, known: dict[str, Path]) -> list[str]:
    """The handoff modules an import statement in module `name` (at `path`) imports."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.startswith("handoff")]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:  # relative: from the module's own package upwards
        package = (name if path.name == "__init__.py" else name.rpartition(".")[0]).split(".")
        base = ".".join([*package[: len(package) - node.level + 1], *filter(None, [base])])
    if not base.startswith("handoff"):
        return []
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]


def handoff_imports(path: Path, name: str) -> set[str]:
    """The handoff modules `path` imports anywhere in it."""
    known = modules()
    return {
        target
        for node in ast.walk(ast.parse(path.read_text()))
        for target in imported_modules(node, name, path, known)
    }


def test_no_module_is_over_600_lines():
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text().splitlines())) > MAX_FILE_LINES
    }
    assert not long, f"over {MAX_FILE_LINES} lines: {long}"


def test_no_function_is_over_60_lines():
    long = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name} ({lines} lines)")
    assert not long, f"over {MAX_FUNCTION_LINES} lines: {long}"


def test_no_function_has_a_cyclomatic_complexity_over_15():
    # ruff's mccabe count (C901), the same rule `ruff check` applies in CI.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--isolated",
            "--select",
            "C901",
            "--output-format",
            "json",
            "--config",
            f"lint.mccabe.max-complexity = {MAX_COMPLEXITY}",
            str(PACKAGE),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if result.returncode not in (0, 1):
        pytest.fail(f"ruff failed: {result.stderr}")
    findings = [
        f"{Path(f['filename']).relative_to(ROOT)}:{f['location']['row']} {f['message']}"
        for f in json.loads(result.stdout or "[]")
    ]
    assert not findings, findings


def test_handoff_modules_are_imported_at_the_top_of_a_module_only():
    known = modules()
    inside = []
    for name, path in known.items():
        for function in ast.walk(ast.parse(path.read_text())):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                inside += [
                    f"{name}.{function.name}:{node.lineno}"
                    for node in ast.walk(function)
                    if imported_modules(node, name, path, known)
                ]
    assert not inside, f"function-level imports of handoff modules: {inside}"


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph = {}
    for name, path in known.items():
        imported = handoff_imports(path, name) - {name}
        # Importing a package's module runs the package's __init__ first: an edge to each parent.
        graph[name] = {
            parent
            for target in imported
            for parent in parents(target)
            if parent in known and parent != name and not name.startswith(parent + ".")
        } | imported
    return graph


def parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def test_there_is_no_import_cycle():
    graph = import_graph()
    cycles = []
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                cycles.append(" → ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert not cycles, cycles


def test_nothing_imports_the_command_line_and_no_module_has_a_getattr():
    graph = import_graph()
    # Only the entry point (python -m handoff) runs the command line.
    assert not [
        name for name, targets in graph.items() if "handoff.cli" in targets and name != "handoff.__main__"
    ]
    hooks = [
        name
        for name, path in modules().items()
        if any(
            isinstance(n, ast.FunctionDef) and n.name == "__getattr__"
            for n in ast.parse(path.read_text()).body
        )
    ]
    assert not hooks


def test_the_checks_see_a_cycle_and_a_function_level_import(tmp_path, monkeypatch):
    """The checks above can fail: a tiny package with both faults trips them."""
    fake = tmp_path / "handoff"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "a.py").write_text("from handoff import b\n")
    (fake / "b.py").write_text("def late():\n    from handoff import a\n    return a\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    with pytest.raises(AssertionError, match="a → handoff.b → handoff.a"):
        test_there_is_no_import_cycle()
    with pytest.raises(AssertionError, match="handoff.b.late"):
        test_handoff_modules_are_imported_at_the_top_of_a_module_only()


def third_party_importers(package: str) -> set[str]:
    """The handoff modules that import `package` anywhere in them."""
    found = set()
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            if any(n == package or n.startswith(package + ".") for n in names):
                found.add(name)
    return found


def test_one_module_opens_databases_and_one_draws_with_streamlit():
    # docs/architecture.md: the data path has one door to DuckDB; the library lays out through ui only.
    assert third_party_importers("duckdb") == {"handoff.connection", "handoff.db"}
    drawing = third_party_importers("streamlit")
    assert "handoff.ui" in drawing and all(m == "handoff.ui" or m.startswith("handoff.ui.") for m in drawing)
