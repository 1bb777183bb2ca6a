"""The SQL console's worker: every console statement runs in a process of its own, under hard caps.

`run(sql, db_path, caps)` (the server's side) starts `python -m handoff.console_worker`, hands it the
statement on stdin and reads the rows back on stdout. Before it imports DuckDB, the worker caps its
own memory with RLIMIT_DATA (`caps.memory_mb`) and the size of any file it writes (its spill files)
with RLIMIT_FSIZE (`caps.temp_mb`); DuckDB's own `memory_limit` is under half the cap
(`duckdb_memory_mb`), so sorts and joins spill to data/.tmp/ before they reach it. The server kills
the worker at the wall-clock limit (`caps.timeout_s`) and reads at most `caps.result_mb` of its
answer. So no statement, whatever it
allocates, can take the server's memory or time: DuckDB's `memory_limit` and interrupt do not hold
for a string or list expression (`repeat('x', 1000000000)`), the process's limits do. The peak
memory reported is the worker's own high-water mark (VmHWM), polled every 50 ms while it runs and
reported by the worker itself at its end.

RLIMIT_DATA rather than RLIMIT_AS: glibc reserves 64 MB of address space for each thread's malloc
arena, so a DuckDB with two threads has ~780 MB of address space before its first row, of which
~110 MB is memory. RLIMIT_DATA caps what can actually be written to (heap, thread stacks, every
private writable mapping), which is what a statement fills; the resident memory it bounds is
measured in the tests.

The answer is JSON with tagged values (dates, decimals, blobs, maps…): data only, so the server
never unpickles or executes anything the worker sends, even from a worker that was subverted.
The worker imports only `handoff.connection` (duckdb) and the standard library, and starts in ~0.2 s.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import decimal
import json
import math
import os
import re
import selectors
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from handoff import connection
from handoff.errors import (
    DatabaseUnreadable,
    ForeignDatabase,
    HandoffError,
    QueryError,
    QueryStopped,
    QueryTimeout,
    SchemaMismatch,
)

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
# DuckDB threads in the worker: each one's stack counts against the memory cap.
WORKER_THREADS = min(4, os.cpu_count() or 1)
_MEMORY_EXIT = 86  # the worker's exit code when Python itself ran out of memory under the cap
_STDERR_TAIL = 4096
_ERRORS = {cls.__name__: cls for cls in (DatabaseUnreadable, ForeignDatabase, SchemaMismatch, QueryError)}


@dataclasses.dataclass(frozen=True)
class Caps:
    """The hard limits of one console statement; each refusal names the setting that configures it."""

    timeout_s: float = 15
    memory_mb: int = 1024
    temp_mb: int = 1024
    result_mb: int = 64
    max_rows: int = 10_000


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What the worker answered: the rows (at most `max_rows`), whether more were left, and what
    the statement cost (wall-clock seconds from start to reaped, the worker's peak resident MB)."""

    columns: list[str]
    rows: list[tuple]
    truncated: bool
    elapsed_s: float
    peak_memory_mb: float


# ---------------------------------------------------------------------------------------------
# The server's side


# The worker's first lines: the caps come before anything is imported (this module imports DuckDB
# through handoff.connection), so nothing the statement allocates escapes them. The alarm stops the
# worker should the server die before it can kill it.
_BOOTSTRAP = (
    "import resource, runpy, signal, sys\n"
    "memory_mb, temp_mb, alarm_s = map(int, sys.argv[1:4])\n"
    "resource.setrlimit(resource.RLIMIT_DATA, (memory_mb << 20,) * 2)\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (temp_mb << 20,) * 2)\n"
    "signal.alarm(alarm_s)\n"
    "runpy.run_module('handoff.console_worker', run_name='__main__', alter_sys=True)\n"
)


def run(sql: str, db_path: str, caps: Caps, *, label: str = "the query") -> Outcome:
    """Run `sql` on `db_path` read-only in a new worker process under `caps`; return its rows or
    raise a one-line QueryError (QueryTimeout, QueryStopped: which cap it hit)."""

    request = json.dumps(
        {"sql": sql, "db": db_path, "caps": dataclasses.asdict(caps), "temp_dir": str(connection.TEMP_DIR)}
    ).encode()
    connection.spill_settings()  # creates the temp folder (the worker's working directory)
    started = time.monotonic()
    try:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-P",
                "-s",
                "-c",
                _BOOTSTRAP,
                str(caps.memory_mb),
                str(caps.temp_mb),
                str(math.ceil(caps.timeout_s) + 5),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_environment(),
            cwd=connection.TEMP_DIR
            if connection.TEMP_DIR.is_dir()
            else "/",  # a stray relative path lands there
        )
    except OSError as exc:
        raise QueryError(f"the console's worker could not start ({exc.strerror or exc})") from None
    stopped, peak = "the server's own error", _Peak(worker.pid)
    try:
        answer, errors, stopped = _exchange(
            worker, request, started + caps.timeout_s, caps.result_mb << 20, peak
        )
    finally:
        if stopped:  # past the deadline or the result cap (or the server failed): no more waiting
            peak.measure()
            worker.kill()
        status = _reap(worker)
        connection.remove_spill_files(worker.pid)  # a killed worker leaves its spill files behind
    elapsed = time.monotonic() - started
    failure, reply = _interpret(stopped, status, answer, errors, caps, label)
    peak_mb = max(peak.kib, _int(reply.get("peak_kib"))) / 1024
    if failure is not None:
        failure.elapsed_s, failure.peak_memory_mb = elapsed, peak_mb
        raise _without_server_paths(failure, db_path)
    return Outcome(
        reply["columns"], [tuple(row) for row in reply["rows"]], reply["truncated"], elapsed, peak_mb
    )


class _Peak:
    """The worker's peak resident memory, read from the kernel's high-water mark of its own address
    space (VmHWM). Not wait4's ru_maxrss: after exec that starts from the parent's (the server's)
    resident size, so it measures the server, not the statement."""

    def __init__(self, pid: int) -> None:
        self.pid, self.kib = pid, 0

    def measure(self) -> None:
        try:
            with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        self.kib = max(self.kib, int(line.split()[1]))
        except (OSError, ValueError, IndexError):  # gone already, or not Linux
            pass


def _own_peak_kib() -> int:
    """This process's own peak resident memory in KiB (its VmHWM), 0 where /proc is missing."""
    probe = _Peak(os.getpid())
    probe.measure()
    return probe.kib


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _environment() -> dict[str, str]:
    """The worker's environment: just enough to run Python from this checkout; HOME is the temp
    folder, so no setting DuckDB derives from it points at the server's home."""

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(PACKAGE_ROOT),
        "HOME": str(connection.TEMP_DIR),
        "LANG": "C.UTF-8",
    }
    for name in ("TZ", "LD_LIBRARY_PATH"):  # the server's time zone; how its Python finds its libraries
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _exchange(
    worker: subprocess.Popen, request: bytes, deadline: float, max_bytes: int, peak: _Peak
) -> tuple[bytes, bytes, str]:
    """Send the request, then read the answer until the worker closes it, the deadline passes
    ("time") or the answer passes `max_bytes` ("result"), measuring its memory every 50 ms.
    Returns (answer, stderr's tail, stopped)."""
    try:
        worker.stdin.write(request)
        worker.stdin.close()
    except BrokenPipeError:  # the worker died before reading: its exit status says why
        pass
    answer, errors = bytearray(), bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(worker.stdout, selectors.EVENT_READ, answer)
        selector.register(worker.stderr, selectors.EVENT_READ, errors)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return bytes(answer), bytes(errors), "time"
            peak.measure()
            for key, _ in selector.select(timeout=min(left, 0.05)):
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                key.data.extend(chunk)
                if key.data is errors:
                    del errors[:-_STDERR_TAIL]
                elif len(answer) > max_bytes:
                    return bytes(answer), bytes(errors), "result"
    return bytes(answer), bytes(errors), ""


def _reap(worker: subprocess.Popen) -> int:
    """Wait for the worker; its wait status (Popen's own wait keeps only the exit code)."""
    try:
        _, status = os.waitpid(worker.pid, 0)
    except ChildProcessError:  # someone else reaped it: its answer alone says how it went
        status = 0
    worker.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait for it again
    for pipe in (worker.stdin, worker.stdout, worker.stderr):
        try:
            pipe.close()
        except OSError:  # the request never reached a worker that died first
            pass
    return status


def _interpret(
    stopped: str, status: int, answer: bytes, errors: bytes, caps: Caps, label: str
) -> tuple[QueryError | None, dict[str, Any]]:
    """What the worker's end means: (the error to raise, None) or (None, its answer with the rows)."""
    stops = {
        "time": QueryTimeout(f"stopped after {caps.timeout_s:g} s (HANDOFF_CONSOLE_TIMEOUT_S)"),
        "memory": QueryStopped(
            f"stopped: the statement needed more than {caps.memory_mb:,} MB of memory "
            "(HANDOFF_CONSOLE_MEMORY_MB)"
        ),
        "disk": QueryStopped(
            f"stopped: the statement spilled more than {caps.temp_mb:,} MB to disk (HANDOFF_CONSOLE_TEMP_MB)"
        ),
        "result": QueryStopped(
            f"stopped: the result is larger than {caps.result_mb:,} MB (HANDOFF_CONSOLE_RESULT_MB); "
            "select fewer rows or columns"
        ),
    }
    if stopped:
        return stops[stopped], {}
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGALRM:  # the worker's own backstop
            return stops["time"], {}
        if sig == signal.SIGXFSZ:
            return stops["disk"], {}
        # An allocation that failed where DuckDB cannot recover (or the kernel's OOM killer).
        return stops["memory"], {}
    code = os.waitstatus_to_exitcode(status)
    if code == _MEMORY_EXIT:
        return stops["memory"], {}
    last = (errors.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
    unexpected = QueryError(f"the console's worker stopped unexpectedly (exit code {code}): {last}")
    try:
        reply = json.loads(answer, object_hook=_decode) if code == 0 else {}
        error = reply.get("error")
        if code != 0 or not (error or {"columns", "rows", "truncated"} <= reply.keys()):
            return unexpected, {}
        if not error:
            return None, reply
        if error["cap"]:
            return stops.get(error["cap"], unexpected), {}
        if error["class"] == "QueryError":
            return QueryError(f"{label} failed: {error['message']}"), {}
        return _ERRORS.get(error["class"], QueryError)(str(error["message"])), {}
    except (ValueError, TypeError, KeyError, AttributeError):  # not an answer this worker writes
        return unexpected, {}


def _without_server_paths(error: QueryError, db_path: str) -> QueryError:
    """The same error with the server's paths cut from its message (DuckDB's IO errors name files)."""

    message = str(error)
    database = Path(db_path)
    for path, shown in (
        (database, database.name),
        (database.parent, "…"),
        (connection.TEMP_DIR, "…"),
        (PACKAGE_ROOT, "…"),
        (Path(sys.executable), "python"),
        (Path(sys.prefix), "…"),
        (Path.home(), "…"),
    ):
        # The path where it ends (at a separator, quote, space or the end), not inside a longer name.
        message = re.sub(
            re.escape(str(path)) + r"(?=[/\s'\"()\[\]:,;]|$)", lambda _, shown=shown: shown, message
        )
    if message == str(error):
        return error
    cleaned = type(error)(message)
    cleaned.elapsed_s, cleaned.peak_memory_mb = error.elapsed_s, error.peak_memory_mb
    return cleaned


# ---------------------------------------------------------------------------------------------
# The answer's format: JSON, with the values JSON lacks tagged as {"$": kind, "v": value}


def encode(value: Any) -> Any:
    """A DuckDB value as JSON: lists stay lists, everything JSON lacks becomes a tagged object."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, tuple):
        return {"$": "tuple", "v": [encode(item) for item in value]}
    if isinstance(value, dict):  # structs and maps (whose keys need not be text)
        return {"$": "dict", "v": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, decimal.Decimal):
        return {"$": "decimal", "v": str(value)}
    if isinstance(value, dt.datetime):
        zone = getattr(value.tzinfo, "key", None)
        return {"$": "datetime", "v": value.isoformat(), "zone": zone}
    if isinstance(value, dt.date):
        return {"$": "date", "v": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$": "time", "v": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"$": "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, uuid.UUID):
        return {"$": "uuid", "v": str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$": "bytes", "v": base64.b64encode(bytes(value)).decode()}
    return str(value)


def _decode(tagged: dict[str, Any]) -> Any:
    """One tagged object back to its value (json's object_hook: every JSON object is a tag)."""
    kind, value = tagged.get("$"), tagged.get("v")
    if kind is None:
        return tagged  # the answer's own envelope
    if kind == "tuple":
        return tuple(value)
    if kind == "dict":
        return {_hashable(k): v for k, v in value}
    if kind == "decimal":
        return decimal.Decimal(value)
    if kind == "datetime":
        moment = dt.datetime.fromisoformat(value)
        if tagged.get("zone"):
            from zoneinfo import ZoneInfo

            moment = moment.astimezone(ZoneInfo(tagged["zone"]))
        return moment
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "time":
        return dt.time.fromisoformat(value)
    if kind == "timedelta":
        return dt.timedelta(days=value[0], seconds=value[1], microseconds=value[2])
    if kind == "uuid":
        return uuid.UUID(value)
    if kind == "bytes":
        return base64.b64decode(value)
    raise ValueError(f"unknown value kind {kind!r} in the worker's answer")


def _hashable(key: Any) -> Any:
    return tuple(_hashable(k) for k in key) if isinstance(key, list) else key


# ---------------------------------------------------------------------------------------------
# The worker's side: python -m handoff.console_worker


def main() -> None:
    """Read one request on stdin, run it under the caps (set by _BOOTSTRAP before this module and DuckDB
    were imported), answer on stdout, exit."""
    request = json.loads(sys.stdin.buffer.read())
    caps = Caps(**request["caps"])
    answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything else printed goes to stderr, never into the answer
    try:
        reply = _answer(request, caps)
    except MemoryError:
        os._exit(_MEMORY_EXIT)
    try:
        answer.write(reply)
        answer.flush()
    except MemoryError:
        os._exit(_MEMORY_EXIT)
    except BrokenPipeError:  # the server stopped listening (its result cap); nothing to do
        pass
    os._exit(0)  # skip the interpreter's teardown: the connection is closed, its spill files gone


def duckdb_memory_mb(cap_mb: int) -> int:
    """DuckDB's own memory_limit under a cap: half of what the process itself does not need (DuckDB's
    threads' stacks and the interpreter, ~120 MB), so sorts and joins spill to disk well before the
    hard cap, leaving room for what DuckDB does not count (strings being built, the answer)."""
    return max(32, (cap_mb - 128) // 2)


def _answer(request: dict[str, Any], caps: Caps) -> str:
    connection.TEMP_DIR = Path(request["temp_dir"])  # the server's, whatever this environment says
    try:
        con = connection.open_read_only(
            request["db"],
            memory_limit=f"{duckdb_memory_mb(caps.memory_mb)}MiB",
            threads=WORKER_THREADS,
            temp_mb=caps.temp_mb,
        )
    except HandoffError as exc:
        return json.dumps(
            {
                "error": {"class": type(exc).__name__, "cap": "", "message": str(exc)},
                "peak_kib": _own_peak_kib(),
            }
        )
    try:
        columns, rows, truncated = connection.fetch_rows(con, request["sql"], caps.max_rows)
    except MemoryError:
        raise
    except Exception as exc:  # a DuckDB error: `failure` says which cap, if any
        cap, message = connection.failure(exc)
        return json.dumps(
            {"error": {"class": "QueryError", "cap": cap, "message": message}, "peak_kib": _own_peak_kib()}
        )
    finally:
        con.close()
    reply = json.dumps(
        {
            "columns": columns,
            "rows": [[encode(value) for value in row] for row in rows],
            "truncated": truncated,
            "peak_kib": _own_peak_kib(),
        }
    )
    if len(reply) > caps.result_mb << 20:  # say so here rather than be cut off by the server
        return json.dumps(
            {"error": {"class": "QueryError", "cap": "result", "message": ""}, "peak_kib": _own_peak_kib()}
        )
    return reply


if __name__ == "__main__":
    main()
