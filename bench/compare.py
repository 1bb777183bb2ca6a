"""Every named query, before and after a change: save their results on a database, then check a later
version of the code gives exactly the same frames.

    python bench/compare.py save  --db /tmp/demo40k.duckdb --out /tmp/before.pkl
    python bench/compare.py check --db /tmp/demo40k.duckdb --against /tmp/before.pkl

Each query runs over a dozen filter sets (windows, segments, channels, sourcing team, an empty window)
with its own defaults, plus the modes and groupings it declares. A result is compared column by
column (names, dtypes, values, NULLs); the check prints every difference and exits 1 if there is one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pickle
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from handoff import catalog, db  # noqa: E402, F401  (catalog: every computed query)
from handoff.filters import Filters  # noqa: E402

D = dt.date
FILTER_SETS = {
    "last quarter": Filters(start=D(2026, 4, 1), end=D(2026, 7, 1)),
    "a year": Filters(start=D(2025, 7, 1), end=D(2026, 7, 1)),
    "all time": Filters(),
    "since January": Filters(start=D(2026, 1, 1)),
    "smb this year": Filters(start=D(2026, 1, 1), end=D(2026, 7, 1), segments=("smb",)),
    "two segments": Filters(start=D(2025, 10, 1), end=D(2026, 4, 1), segments=("enterprise", "mid_market")),
    "webinar and events in NA": Filters(
        start=D(2025, 7, 1), end=D(2026, 7, 1), channels=("webinar", "events"), regions=("NA",)
    ),
    "sales-sourced": Filters(start=D(2025, 10, 1), end=D(2026, 4, 1), teams=("sales",)),
    "marketing-sourced EMEA": Filters(
        start=D(2026, 1, 1), end=D(2026, 4, 1), teams=("marketing",), regions=("EMEA",)
    ),
    "a month": Filters(start=D(2026, 3, 1), end=D(2026, 4, 1)),
    "empty": Filters(start=D(2030, 1, 1), end=D(2030, 2, 1)),
}
# Choices worth running besides each query's defaults (only those a query declares are used).
VARIANTS = [
    {},
    {"mode": "period"},
    {"group_by": "channel"},
    {"basis": "pipeline"},
    {"level": "campaign"},
    {"dim1": "segment", "dim2": "created_month"},
    {"clock": "wall"},
]
# Parameters some queries need to say anything.
REQUIRED = {
    "sla__breaches": {"policy_id": "follow_up"},
    "sla__response_bands": {"policy_id": "follow_up"},
    "sla__response_time": {"policy_id": "follow_up"},
    "data__health_check_rows": {"check": "references_resolve"},
}
# Columns that count to today's date, not the data's: they change overnight whatever the code does.
TODAY_COLUMNS = {"days_since_latest"}


def results(path: str) -> dict[tuple, pd.DataFrame | str]:
    """(query, filter set, variant) → the result, or the error's text."""
    out: dict[tuple, pd.DataFrame | str] = {}
    for name in db.list_queries():
        declared = set(db.load_query(name).params)
        for variant in VARIANTS:
            if not set(variant) <= declared or (variant and not declared & set(variant)):
                continue
            for label, filters in FILTER_SETS.items():
                params = {**REQUIRED.get(name, {}), **variant}
                try:
                    out[(name, label, tuple(sorted(variant.items())))] = db.run_query(
                        name, filters, db=path, **params
                    )
                except Exception as exc:  # a failure is a result too: it must fail the same way
                    out[(name, label, tuple(sorted(variant.items())))] = f"{type(exc).__name__}: {exc}"
                db.RESULTS.clear()
    return out


def _differences(before: dict, after: dict) -> list[str]:
    found = []
    for key in sorted(set(before) | set(after), key=str):
        if key not in after or key not in before:
            found.append(f"{key}: only {'before' if key in before else 'after'}")
            continue
        old, new = before[key], after[key]
        if isinstance(old, str) or isinstance(new, str):
            if not (isinstance(old, str) and isinstance(new, str) and old == new):
                found.append(f"{key}: {_short(old)} → {_short(new)}")
            continue
        old, new = (frame.drop(columns=[c for c in TODAY_COLUMNS if c in frame]) for frame in (old, new))
        try:
            pd.testing.assert_frame_equal(
                old.reset_index(drop=True), new.reset_index(drop=True), check_exact=True
            )
        except AssertionError as exc:
            found.append(f"{key}: {str(exc).splitlines()[0]}")
    return found


def _short(result) -> str:
    return result if isinstance(result, str) else f"a frame of {len(result)} rows"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["save", "check"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", help="where save writes the results")
    parser.add_argument("--against", help="the results check compares with")
    args = parser.parse_args()
    now = results(args.db)
    if args.action == "save":
        Path(args.out).write_bytes(pickle.dumps(now))
        print(f"saved {len(now)} results to {args.out}")
        return 0
    before = pickle.loads(Path(args.against).read_bytes())
    found = _differences(before, now)
    for line in found:
        print(line)
    print(f"{len(now)} results, {len(found)} different")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
