"""Load test: concurrent browser-like sessions browse every page while an import swaps the database.

    python bench/load.py --sessions 20 --minutes 3 --leads 40000

Starts `streamlit run app.py` on a demo database (built under bench/output/ if missing), opens
`--sessions` websocket sessions (bench/streamlit_client.py: what a browser tab sends and reads) that
each keep opening every page with varied filters in the URL, and halfway through imports the
canonical export of another demo company over the served file (`python -m handoff import --mapping
canonical`, which builds beside it and renames into place). It then checks that:

- no page run raised an exception, showed an error box, or failed to finish;
- no session saw a half-written database: every (page, filters, tile) shows one value in all runs
  before the swap and one value in all runs after it (only runs overlapping the swap may show either);
- the sessions saw the new data after the swap.

Prints the figures (page runs, latency per page, the swap, the server's peak memory) as a Markdown
table and writes them to bench/output/load-<time>.json. Exits 1 if a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bench" / "output"
sys.path.insert(0, str(ROOT))

from bench.streamlit_client import PageRun, StreamlitSession  # noqa: E402
from tests.support import PAGES as SLUGS  # noqa: E402
from tests.support import Server, page_path  # noqa: E402

PAGES = [page_path(slug) for slug in SLUGS]  # "" is the Overview
QUERIES = [
    {},
    {"period": "This year", "segment": "smb"},
    {"period": "All time", "region": "EMEA"},
    {"period": "Last 12 months", "channel": ["webinar", "paid_search"]},
    {"period": "Last month", "team": "sales"},
]
AS_OF = "2026-06-30"


def query_string(params: dict) -> str:
    return urllib.parse.urlencode(params, doseq=True)


# ---------------------------------------------------------------------------------------------
# The server and the databases


def handoff_cli(*args: str) -> float:
    """Run `python -m handoff ...`; return its wall-clock seconds (raise on failure)."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "handoff", *args], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return time.perf_counter() - started


def demo_database(leads: int, seed: int, name: str) -> Path:
    """A demo database under bench/output/, built once and reused."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}-{leads}-seed{seed}.duckdb"
    if not path.exists():
        handoff_cli("demo", "--db", str(path), "--leads", str(leads), "--seed", str(seed), "--as-of", AS_OF)
    return path


def canonical_export(db: Path) -> list[Path]:
    """The canonical CSVs of `db` (python -m handoff export), written once and reused."""
    folder = db.with_suffix(".export")
    if not (folder / "leads.csv").exists():
        handoff_cli("export", "--db", str(db), str(folder))
    return sorted(folder.glob("*.csv"))


# ---------------------------------------------------------------------------------------------
# The sessions


@dataclass
class Swap:
    started: float = float("inf")
    finished: float = float("inf")
    seconds: float = 0.0
    error: str | None = None


@dataclass
class LoadResult:
    runs: list[PageRun]
    swap: Swap
    sessions: int
    seconds: float
    before: dict[tuple[str, str], dict[str, str]]  # (page, query) -> tiles, on the database served first
    after: dict[tuple[str, str], dict[str, str]]  # the same, on the database the import put in place
    problems: list[str] = field(default_factory=list)


def session_query(index: int, queries: list[dict]) -> str:
    return query_string(queries[index % len(queries)])


async def browse(
    url: str, params: str, seed: int, until: float, runs: list[PageRun], min_rounds: int, pages: list[str]
) -> None:
    """One session: open the pages in its own order until time is up. Its filters come from the link
    it was opened with (a session keeps its filters from page to page, as in a browser tab)."""
    rng = random.Random(seed)
    async with StreamlitSession(url) as session:
        rounds = 0
        while time.monotonic() < until or rounds < min_rounds:
            order = pages[:]
            rng.shuffle(order)
            for page in order:
                runs.append(await session.open(page, params))
            rounds += 1


async def tiles_of_every_page(
    url: str, queries: list[str], pages: list[str] = PAGES
) -> dict[tuple[str, str], dict[str, str]]:
    """What each page shows for each set of filters, each in a fresh session (the reference)."""
    seen = {}
    for params in queries:
        async with StreamlitSession(url) as session:
            for page in pages:
                run = await session.open(page, params)
                seen[(page, params)] = run.metrics
    return seen


async def swap_database(
    served: Path, files: list[Path], at: float, swap: Swap, runs: list[PageRun], after_runs: int | None
) -> None:
    """Import `files` over `served` at time `at`, or once `after_runs` page runs have finished."""
    if after_runs is None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
    while after_runs is not None and len(runs) < after_runs:
        await asyncio.sleep(0.1)
    swap.started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "handoff",
        "import",
        "--mapping",
        "canonical",
        "--db",
        str(served),
        *map(str, files),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    swap.finished = time.monotonic()
    swap.seconds = swap.finished - swap.started
    if process.returncode:
        swap.error = err.decode().strip()


async def run_load(
    url: str,
    served: Path,
    import_files: list[Path],
    sessions: int,
    seconds: float,
    min_rounds: int = 1,
    queries: list[dict] = QUERIES,
    pages_per_session: int | None = None,
    swap_after_runs: int | None = None,
) -> LoadResult:
    """Browse with `sessions` sessions for `seconds` (each at least `min_rounds` rounds of its pages:
    all of them, or `pages_per_session` of them, chosen so that together they cover every page),
    importing `import_files` over `served` halfway through (or after `swap_after_runs` page runs);
    then check the runs against what fresh sessions see before and after."""
    links = sorted({session_query(i, queries) for i in range(sessions)})
    count = pages_per_session or len(PAGES)
    pages_of = [[PAGES[(i * count + k) % len(PAGES)] for k in range(count)] for i in range(sessions)]
    before = await tiles_of_every_page(url, links)
    runs: list[PageRun] = []
    swap = Swap()
    started = time.monotonic()
    until = started + seconds
    tasks = [
        browse(url, session_query(i, queries), i, until, runs, min_rounds, pages_of[i])
        for i in range(sessions)
    ]
    tasks.append(swap_database(served, import_files, started + seconds / 2, swap, runs, swap_after_runs))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - started
    after = await tiles_of_every_page(url, links)
    result = LoadResult(runs, swap, sessions, elapsed, before, after)
    result.problems = check(result)
    return result


def check(result: LoadResult) -> list[str]:
    """What went wrong: failed runs, a page showing a tile that neither database gives (a half-written
    or mixed-up file), old data after the swap, or an import that changed nothing."""
    problems = []
    for run in result.runs:
        if not run.ok:
            what = run.exceptions or run.errors or [run.status]
            problems.append(f"/{run.page}?{run.query}: {what[0][:300]}")
    swap = result.swap
    if swap.error:
        problems.append(f"the import failed: {swap.error}")
    if swap.started == float("inf"):
        problems.append("the import never ran: the test ended before its midpoint")
    if result.before == result.after:
        problems.append("no page shows anything different after the import: the swap was not seen")
    for run in result.runs:
        key = (run.page, run.query)
        old, new = result.before.get(key, {}), result.after.get(key, {})
        if run.started + run.seconds < swap.started:
            allowed = "the database before the swap"
            wrong = {label: v for label, v in run.metrics.items() if v != old.get(label)}
        elif run.started > swap.finished:
            allowed = "the database after the swap"
            wrong = {label: v for label, v in run.metrics.items() if v != new.get(label)}
        else:  # overlapping the swap: each tile from one file or the other
            allowed = "either database"
            wrong = {
                label: v for label, v in run.metrics.items() if v not in (old.get(label), new.get(label))
            }
        for label, value in wrong.items():
            problems.append(
                f"/{run.page}?{run.query} tile {label!r} showed {value!r}, not what {allowed} gives "
                f"({old.get(label)!r} before, {new.get(label)!r} after)"
            )
    return problems


# ---------------------------------------------------------------------------------------------
# Figures


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0–100)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 100)) - 1))]


def summary(result: LoadResult, peak_mb: float) -> dict:
    by_page = defaultdict(list)
    for run in result.runs:
        by_page[run.page or "overview"].append(run.seconds)
    every = [run.seconds for run in result.runs]
    return {
        "sessions": result.sessions,
        "seconds": round(result.seconds, 1),
        "page_runs": len(result.runs),
        "failed_runs": sum(not run.ok for run in result.runs),
        "runs_per_minute": round(len(result.runs) / result.seconds * 60, 1),
        "median_s": round(statistics.median(every), 2),
        "p95_s": round(percentile(every, 95), 2),
        "by_page": {
            page: {
                "runs": len(v),
                "median_s": round(statistics.median(v), 2),
                "p95_s": round(percentile(v, 95), 2),
            }
            for page, v in by_page.items()
        },
        "swap_s": round(result.swap.seconds, 1),
        "swap_at_s": round(result.swap.started - min(r.started for r in result.runs), 1)
        if result.swap.started != float("inf")
        else None,
        "runs_overlapping_swap": sum(
            1
            for r in result.runs
            if r.started <= result.swap.finished and r.started + r.seconds >= result.swap.started
        ),
        "server_peak_mb": round(peak_mb),
        "problems": result.problems,
    }


def markdown(figures: dict, leads: int) -> str:
    lines = [
        f"{figures['sessions']} sessions for {figures['seconds']:.0f} s on a {leads:,}-lead demo, "
        f"import swapped at {figures['swap_at_s']} s (took {figures['swap_s']} s): "
        f"{figures['page_runs']:,} page runs ({figures['runs_per_minute']}/min), {figures['failed_runs']} failed, "
        f"{figures['runs_overlapping_swap']} overlapping the swap; page run median {figures['median_s']} s, "
        f"p95 {figures['p95_s']} s; server peak memory {figures['server_peak_mb']:,} MB; "
        f"{len(figures['problems'])} problems.",
        "",
        "| page | runs | median | p95 |",
        "|---|---|---|---|",
    ]
    for page, row in figures["by_page"].items():
        lines.append(f"| {page} | {row['runs']} | {row['median_s']} s | {row['p95_s']} s |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--leads", type=int, default=40_000)
    args = parser.parse_args()

    original = demo_database(args.leads, 7, "load")
    other = demo_database(max(1_000, args.leads // 2), 8, "load-other")
    files = canonical_export(other)
    served = OUTPUT / "load-served.duckdb"
    shutil.copy(original, served)
    server = Server(served, OUTPUT / "load-streamlit.log")
    try:
        result = asyncio.run(run_load(server.url, served, files, args.sessions, args.minutes * 60))
        figures = summary(result, server.peak_rss_mb())
    finally:
        server.stop()
    figures.update(leads=args.leads, load=os.getloadavg()[0], cpus=os.cpu_count())
    out = OUTPUT / f"load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(figures, indent=1))
    print(markdown(figures, args.leads))
    for problem in figures["problems"][:20]:
        print("PROBLEM:", problem)
    print(f"(figures in {out.relative_to(ROOT)})")
    return 1 if figures["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
