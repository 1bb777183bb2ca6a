"""Benchmark: every attribution model together, on a large database, through the same runner as the app.

    python -m handoff demo --leads 1000000 --db /tmp/big.duckdb --as-of 2026-06-30
    python bench/attribution.py --db /tmp/big.duckdb

Each case runs `attribution__credit` with model=all (all nine models) cold: the runner's cache is
cleared first, so the scope's journey load (attribution__journey_touches, from the journeys built
at import; the names of the touch keys are read once per database file), the Markov transitions SQL, the Markov solve, the Shapley enumeration and
the cent rounding all run. Prints one line per case (wall-clock and CPU seconds of
the process, DuckDB's threads included) and checks the invariant (every model sums to the scope's
total to the cent) on the result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handoff import catalog, db  # noqa: E402, F401  (catalog: every computed query)
from handoff.filters import Filters  # noqa: E402

CASES = [
    ("revenue, last quarter", "revenue", "channel", dt.date(2026, 1, 1), dt.date(2026, 4, 1)),
    ("revenue, last 12 months", "revenue", "channel", dt.date(2025, 6, 1), dt.date(2026, 6, 1)),
    ("pipeline, last 12 months", "pipeline", "campaign", dt.date(2025, 6, 1), dt.date(2026, 6, 1)),
    ("revenue, all time", "revenue", "team", None, None),
    ("pipeline, all time", "pipeline", "channel", None, None),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    counts = db.run_query("data__table_counts", db=args.db).set_index("table_name")["row_count"]
    print(f"{args.db}: {counts['leads']:,} leads, {counts['touches']:,} touches, {counts['deals']:,} deals")
    for name, basis, level, start, end in CASES:
        window = Filters(start=start, end=end)
        db.close_connections()  # cold: no cached result, a fresh connection
        started, cpu_started = time.perf_counter(), time.process_time()
        frame = db.run_query("attribution__credit", window, db=args.db, basis=basis, level=level)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        totals = db.run_query("attribution__scope_totals", window, db=args.db, basis=basis).iloc[0]
        cents = (frame["credit_usd"] * 100).round().astype("int64").groupby(frame["model"]).sum()
        exact = bool((cents == round(totals["total_usd"] * 100)).all())
        print(
            f"{name:<26} level={level:<8} deals={totals['deal_count']:>7,} touches={totals['touch_count']:>9,} "
            f"models={cents.size} {seconds:5.1f} s wall {cpu_seconds:5.1f} s CPU  to the cent: {'yes' if exact else 'NO'}"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak_mb:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
