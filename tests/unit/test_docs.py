"""The documentation keeps up with the code: the README stays short and lists every command, every
public named query is documented on some page of docs/, the site's nav and the docs folder agree, and
the README's relative links resolve. Fast on purpose: the site itself is built (`mkdocs build
--strict`, which also checks the links between pages) by CI, not here."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from handoff import catalog, cli, db  # noqa: F401  (catalog: the computed queries are registered)
from handoff.ingest.canonical import CANONICAL
from tests.fixtures import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
MKDOCS = ROOT / "mkdocs.yml"
README_MAX_LINES = 200

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.DOTALL | re.MULTILINE)


def _subcommands() -> list[str]:
    parser = cli.build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert len(actions) == 1, "python -m handoff has one level of subcommands"
    return sorted(actions[0].choices)


def _command_table(text: str) -> str:
    """The rows of the README's table under '## Command line' (the first table of that section)."""
    section = text.split("\n## Command line", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("|"))


def _nav_pages() -> list[str]:
    """Every page the nav of mkdocs.yml names, in order (read as text: the file holds a !!python tag
    that a safe YAML loader refuses, and the nav is one page per line)."""
    lines = MKDOCS.read_text().splitlines()
    start = lines.index("nav:")
    pages = []
    for line in lines[start + 1 :]:
        if line and not line.startswith((" ", "#")):
            break  # the next top-level key
        found = re.search(r"(?:^\s*-\s+|:\s+)([\w./-]+\.md)\s*$", line)
        if found:
            pages.append(found[1])
    return pages


def _outside_code(text: str) -> str:
    return _FENCE.sub("", text)


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub and mkdocs (Python-Markdown's toc) both make it for plain words."""
    text = re.sub(r"[`*]", "", heading).strip().lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"\s", "-", text)


def _anchors(path: Path) -> set[str]:
    text = _outside_code(path.read_text())
    return {_slug(h) for h in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE)}


def test_the_readme_is_at_most_200_lines():
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines; it holds at most {README_MAX_LINES}: "
        "move the detail to a page of docs/"
    )


def test_every_subcommand_is_in_the_readmes_command_table():
    table = _command_table(README.read_text())
    missing = [
        name for name in _subcommands() if not re.search(rf"^\| `{re.escape(name)}[ `]", table, re.MULTILINE)
    ]
    assert not missing, f"python -m handoff commands missing from README.md's command table: {missing}"


def test_every_public_named_query_is_named_on_some_docs_page():
    text = "\n".join(page.read_text() for page in sorted(DOCS.glob("*.md")))
    public = db.list_queries(internal=False)
    assert public, "no named queries found"
    missing = [name for name in public if f"`{name}`" not in text]
    assert not missing, f"public named queries no page of docs/ names (in backticks): {missing}"


def test_every_docs_page_is_in_the_nav_and_every_nav_entry_exists():
    nav = _nav_pages()
    assert "index.md" in nav, "mkdocs.yml's nav has no index.md"
    twice = sorted({page for page in nav if nav.count(page) > 1})
    assert not twice, f"pages listed twice in mkdocs.yml's nav: {twice}"
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    assert not pages - set(nav), f"docs pages missing from mkdocs.yml's nav: {sorted(pages - set(nav))}"
    assert not set(nav) - pages, f"mkdocs.yml's nav names pages that do not exist: {sorted(set(nav) - pages)}"


def _readme_links() -> list[str]:
    text = _outside_code(README.read_text())
    return _LINK.findall(text) + _IMAGE.findall(text)


@pytest.mark.parametrize("target", sorted(set(_readme_links())))
def test_every_relative_link_in_the_readme_points_to_an_existing_file(target):
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("//"):
        pytest.skip("an absolute URL")
    path_part, _, anchor = target.partition("#")
    path = (README.parent / unquote(path_part)).resolve() if path_part else README
    assert path.exists(), f"README.md links to {target}, but {path_part} does not exist"
    if anchor and path.suffix == ".md":
        assert anchor in _anchors(path), f"README.md links to {target}, but {path_part} has no such heading"


def test_the_link_checks_see_the_readmes_links():
    targets = _readme_links()
    assert "docs/overview.png" in targets  # the screenshot
    assert any(t.startswith("docs/cli.md") for t in targets)


ARCHITECTURE = DOCS / "architecture.md"


def test_the_architecture_page_names_folders_that_exist_and_every_room_of_the_house():
    text = ARCHITECTURE.read_text()
    named_folders = set(re.findall(r"`([a-z_./]+/)`", text))
    assert named_folders, "the page names its folders in backticks"
    assert not [f for f in named_folders if not (ROOT / f).is_dir()], "every folder it names exists"
    packages = {f"{p.parent.relative_to(ROOT)}/" for p in (ROOT / "handoff").glob("*/__init__.py")}
    query_folders = {f"{p.relative_to(ROOT)}/" for p in (ROOT / "queries").iterdir() if p.is_dir()}
    assert packages | query_folders <= named_folders, "every package of handoff/ and folder of queries/"
    in_backticks = set(re.findall(r"`([a-z_.]+)`", text))
    modules = {p.stem for p in (ROOT / "handoff").glob("*.py") if not p.stem.startswith("__")}
    modules |= {p.stem for p in (ROOT / "handoff").glob("*/*.py") if not p.stem.startswith("__")}
    modules |= {p.parent.name for p in (ROOT / "handoff").glob("*/__init__.py")}
    unnamed = {
        m
        for m in modules
        if m not in in_backticks and not {f"{m}/", f"handoff.{m}"} & (in_backticks | named_folders)
    }
    assert not unnamed, f"modules the page does not name: {sorted(unnamed)}"


def test_the_import_page_lists_every_canonical_column_with_its_type_and_whether_it_is_required():
    text = (ROOT / "docs" / "import.md").read_text()
    for table in CANONICAL.values():
        section = text.split(f"### `{table.name}`", 1)[1].split("###", 1)[0]
        rows = re.findall(r"^\| `(\w+)` \| (\w+) \| (yes|no) \|", section, flags=re.MULTILINE)
        assert rows == [(c.name, c.type, "yes" if c.required else "no") for c in table.columns], table.name
