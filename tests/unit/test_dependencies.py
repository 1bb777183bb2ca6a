"""pyproject.toml declares what Handoff needs; the requirement files pin it, consistently."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.fixtures import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def pins(file_name: str) -> dict[str, str]:
    """name → pinned version of a requirement file, following its `-r` includes."""
    found = {}
    for line in (ROOT / file_name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found |= pins(line[3:].strip())
        elif line:
            requirement = Requirement(line)
            (specifier,) = requirement.specifier  # exactly one, an ==
            assert specifier.operator == "==", f"{file_name}: {line} is not pinned"
            found[canonicalize_name(requirement.name)] = specifier.version
    return found


def declared(requirements: list[str]) -> dict[str, Requirement]:
    return {canonicalize_name(r.name): r for r in map(Requirement, requirements)}


def assert_pinned_within(requirements: list[str], file_name: str) -> None:
    pinned = pins(file_name)
    for name, requirement in declared(requirements).items():
        assert name in pinned, f"{name} is declared in pyproject.toml but not pinned in {file_name}"
        assert requirement.specifier.contains(pinned[name]), (
            f"{file_name} pins {name}=={pinned[name]}, outside pyproject.toml's {requirement.specifier}"
        )


def test_every_runtime_dependency_is_pinned_in_requirements_txt_and_nothing_else_is():
    assert_pinned_within(PROJECT["dependencies"], "requirements.txt")
    assert set(pins("requirements.txt")) == set(declared(PROJECT["dependencies"]))


def test_the_extras_are_pinned_in_their_requirement_files():
    extras = PROJECT["optional-dependencies"]
    assert_pinned_within(extras["signin"], "requirements-signin.txt")
    for extra in ("bench", "test", "dev"):
        assert_pinned_within(extras[extra], "requirements-dev.txt")
    dev_only = set(pins("requirements-dev.txt")) - set(pins("requirements.txt"))
    assert dev_only == {name for extra in ("bench", "test", "dev") for name in declared(extras[extra])}


def test_what_the_code_imports_is_declared():
    """Every third-party package the library, the pages, the bench and the tests import is declared."""
    every = {
        canonicalize_name(r.name)
        for group in [PROJECT["dependencies"], *PROJECT["optional-dependencies"].values()]
        for r in map(Requirement, group)
    }
    ours = {"handoff", "tests", "bench", "pages", "app"}
    imported = set()
    for path in [ROOT / "app.py", *(p for folder in ours for p in (ROOT / folder).rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - ours - {"__future__"}
    distributions = importlib.metadata.packages_distributions()
    undeclared = {
        module
        for module in third_party
        if not {canonicalize_name(d) for d in distributions.get(module, [module])} & every
    }
    assert not undeclared, f"imported but not declared in pyproject.toml: {sorted(undeclared)}"
