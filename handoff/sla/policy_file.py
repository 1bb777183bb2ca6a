"""Reading the policy file: text to validated policies, the file loaded, the last good policies kept.

Policies live in `data/sla_policies.toml`, a file people edit. `load_policies` validates it and
names the key that is wrong; `load_policies_or_last_good` keeps the last good policies in use when
the file breaks, so the page keeps working. The pages hand the `sla__*` queries the policies as
text (`Policies.to_text`); `policies_from_param` reads that text, or the file when there is none.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from handoff import cache
from handoff.paths import DATA_DIR, ROOT
from handoff.sla.policies import Policies, PolicyError
from handoff.sla.policy_schema import read_policies

# Read at each call (never imported by value), so a test or a tool may point it elsewhere.
POLICY_FILE = DATA_DIR / "sla_policies.toml"


# ---------------------------------------------------------------------------------------------
# Reading and validating


def parse_policies(text: str, source: str = "the policies") -> Policies:
    """Parse and validate policy text (TOML as in the file, or the JSON of `Policies.to_text`; the
    schema is `policy_schema`).

    Raises PolicyError whose message names the source, the key and the problem, e.g.
    `data/sla_policies.toml: policies[0] (follow_up).tiers[1].hours: must be more than 0, got -1`.
    """
    # Every sla__* query reads the policies again; the same text parses to the same (frozen) value.
    return _PARSED.get(text) or _PARSED.put(text, _parse_policies(text, source))


_PARSED = cache.Cache("sla.parsed_policies", max_items=32)


def _parse_policies(text: str, source: str) -> Policies:
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: {_toml_problem(text, exc)}") from None
    except json.JSONDecodeError as exc:
        raise PolicyError(f"{source}: not valid JSON ({exc})") from None
    try:
        return read_policies(data)
    except PolicyError as exc:
        raise PolicyError(f"{source}: {exc}") from None


def _toml_problem(text: str, exc: tomllib.TOMLDecodeError) -> str:
    """TOML's own message, plus the key and table of the line it stopped at."""
    message = str(exc)
    found = re.search(r"at line (\d+)", message)
    if not found:
        return f"not valid TOML ({message})"
    lines = text.splitlines()
    number = int(found[1])
    line = lines[number - 1] if number <= len(lines) else ""
    column = re.search(r"column (\d+)", message)
    before = line[: int(column[1]) - 1] if column else line
    # The key whose value TOML choked on: the last `key =` before the column it stopped at.
    keys = re.findall(r"([A-Za-z0-9_\-\"']+)\s*=", before) or re.findall(r"([A-Za-z0-9_\-\"']+)\s*=", line)
    words = line.split()
    first_word = words[0] if words and not words[0].startswith(("[", "#")) else None
    key = keys[-1].strip("\"'") if keys else first_word
    header = next((h.strip() for h in reversed(lines[: number - 1]) if h.strip().startswith("[")), None)
    parts = (f"key {key!r}" if key else "", f"in {header}" if header else "")
    where = " ".join(part for part in parts if part)
    return f"not valid TOML at line {number}{f' ({where})' if where else ''}: {message}"


# ---------------------------------------------------------------------------------------------
# Loading the file, keeping the last good policies


@dataclass(frozen=True)
class PolicyLoad:
    """The policies to use, and why: from the file, or the last good ones when the file broke."""

    policies: Policies
    error: str | None  # what is wrong with the file, when it could not be used
    source: str  # "file", "last good policies loaded at HH:MM:SS", "built-in defaults"

    @property
    def text(self) -> str:
        return self.policies.to_text()


# Not a cache: the policies that stay in use while the file is broken must not be forgotten to make
# room (one entry per policy file).
_last_good: dict[str, tuple[Policies, float]] = {}
_last_good_lock = threading.Lock()


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def file_version() -> tuple[str, int | None]:
    """The policy file and its modification time (None if it is missing): what is computed from the
    file is computed again when someone edits it."""
    try:
        return str(POLICY_FILE), POLICY_FILE.stat().st_mtime_ns
    except OSError:
        return str(POLICY_FILE), None


def load_policies(path: str | Path | None = None) -> Policies:
    """Read and validate the policy file (default `data/sla_policies.toml`); PolicyError if malformed."""
    path = Path(path) if path else POLICY_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{_display_path(path)}: no such policy file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{_display_path(path)}: cannot be read ({exc})") from None
    policies = parse_policies(text, _display_path(path))
    with _last_good_lock:
        _last_good[str(path.resolve())] = (policies, time.time())
    return policies


def load_policies_or_last_good(path: str | Path | None = None) -> PolicyLoad:
    """The policy file if it is valid; otherwise the last good policies this process loaded from
    it (or the built-in defaults if it never loaded), with the error to show."""
    path = Path(path) if path else POLICY_FILE
    try:
        return PolicyLoad(load_policies(path), None, "file")
    except PolicyError as exc:
        with _last_good_lock:
            remembered = _last_good.get(str(path.resolve()))
        if remembered:
            loaded_at = dt.datetime.fromtimestamp(remembered[1]).strftime("%H:%M:%S")
            return PolicyLoad(remembered[0], str(exc), f"last good policies, loaded at {loaded_at}")
        return PolicyLoad(default_policies(), str(exc), "built-in defaults")


DEFAULT_POLICY_TEXT = """
[regions.NA]
time_zone = "America/New_York"
[regions.EMEA]
time_zone = "Europe/London"
[regions.APAC]
time_zone = "Asia/Singapore"
[[policies]]
id = "follow_up"
name = "Follow up every MQL fast"
owner_team = "sales"
kind = "follow_up"
clock = "business"
tiers = [{ min_score = 80, hours = 1 }, { min_score = 0, hours = 24 }]
[[policies]]
id = "acceptance_decision"
name = "Accept or reject every MQL"
owner_team = "sales"
kind = "acceptance_decision"
days = 3
goal_pct = 95
[[policies]]
id = "mql_volume"
name = "Deliver the MQL target"
owner_team = "marketing"
kind = "volume"
goal_pct = 80
[[policies]]
id = "mql_quality"
name = "Send MQLs sales accepts"
owner_team = "marketing"
kind = "quality"
min_acceptance_pct = 90
goal_pct = 80
[[policies]]
id = "sourced_pipeline"
name = "Source the pipeline target"
owner_team = "marketing"
kind = "pipeline"
goal_pct = 80
"""


def default_policies() -> Policies:
    """Built-in policies (no holidays), used only if the policy file never loaded in this process."""
    return parse_policies(DEFAULT_POLICY_TEXT, "built-in defaults")


def policies_from_param(text: str | None) -> Policies:
    """The `$policies` parameter of the sla queries: policy text, or None for the policy file."""
    return load_policies() if text is None else parse_policies(text, "the policies parameter")
