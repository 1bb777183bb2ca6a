"""Every file in queries/ is a well-formed named query that runs on the demo database."""

import pytest

from handoff import db
from handoff.filters import Filters

QUERIES = db.list_queries()


@pytest.mark.parametrize("name", QUERIES)
def test_header_names_the_file_and_declares_exactly_the_parameters_used(name):
    spec = db.load_query(name)
    assert spec.description, "a query says what it returns, one row per what"
    assert "__" in name, "queries are named <area>__<what it returns>"
    if spec.compute is None:
        assert spec.sql.splitlines()[0] == f"-- {name}", "the first line of a query file names it"
        assert set(spec.params) == db.used_params(spec.sql), "declared and used parameters differ"


@pytest.mark.parametrize("name", QUERIES)
def test_runs_on_the_demo_with_the_default_filters(name, demo_db):
    # Every parameter has a default, so `python -m handoff query NAME` works bare.
    spec = db.load_query(name)
    assert not [p.name for p in spec.params.values() if p.required and p.name not in ("start", "end")]
    frame = db.run_query(name, Filters(), db=demo_db)
    assert len(frame.columns) > 0
