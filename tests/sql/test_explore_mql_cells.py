"""explore__mql_cells (read from the SLA's MQL facts) is exactly the MQL rows of explore__cell_members
(read from the pivot's events), on the demo company across filter sets, modes and dimensions, row for
row the MQLs of sla__mql_clock; and it takes the pivot's dimensions word for word."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from handoff import db, query_files
from handoff.filters import Filters

FILTER_SETS = {
    "last quarter": Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 7, 1)),
    "all time": Filters(),
    "before mid-2025": Filters(end=dt.date(2025, 6, 1)),
    "smb this year": Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 7, 1), segments=("smb",)),
    "webinar and events in NA": Filters(
        start=dt.date(2025, 7, 1), end=dt.date(2026, 7, 1), channels=("webinar", "events"), regions=("NA",)
    ),
}
DIMENSION_PAIRS = [
    ("channel", "none"),
    ("none", "none"),
    ("created_month", "owner"),
    ("campaign", "score_band"),
    ("response_time_band", "created_quarter"),
    ("company_size", "industry"),
]


def test_mql_cells_take_the_pivots_dimensions_word_for_word():
    dimensions = query_files._expand_includes("-- @include explore_dimensions", "test")
    assert "-- [shared dimensions]" in dimensions
    assert dimensions in db.load_query("explore__mql_cells").sql  # includes expanded
    assert dimensions in db.load_query("explore__pivot").sql


@pytest.mark.parametrize("name", FILTER_SETS)
@pytest.mark.parametrize("dims", DIMENSION_PAIRS, ids="-".join)
def test_mql_cells_are_the_mql_members(demo_db, name, dims):
    filters = FILTER_SETS[name]
    dim1, dim2 = dims
    for mode in ("cohort", "period"):
        members = db.run_query("explore__cell_members", filters, db=demo_db, mode=mode, dim1=dim1, dim2=dim2)
        expected = (
            members.loc[members["counted_for"] == "mql", ["record_id", "dim1_value", "dim2_value"]]
            .rename(columns={"record_id": "lead_id"})
            .reset_index(drop=True)
        )
        got = db.run_query("explore__mql_cells", filters, db=demo_db, mode=mode, dim1=dim1, dim2=dim2)
        by_lead = got.sort_values("lead_id")[["lead_id", "dim1_value", "dim2_value"]].reset_index(drop=True)
        pd.testing.assert_frame_equal(by_lead, expected, check_exact=True)
        # The MQLs the SLA evaluation judges, in its order: explore__pivot_sla lines them up by position.
        clock = db.run_query("sla__mql_clock", filters, db=demo_db)
        assert got["mql_number"].tolist() == clock["mql_number"].tolist()
        mqls = db.run_query("sla__mqls", filters, db=demo_db)
        assert got["lead_id"].tolist() == mqls["lead_id"].tolist()
