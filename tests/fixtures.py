"""Helpers for tests: hand-made databases from rows, and the demo settings the tests use."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from handoff import db

ROOT = Path(__file__).resolve().parent.parent


def _real_data_dir() -> Path:
    """Where the shared real datasets are: $HANDOFF_REAL_DATA, ../shared beside the checkout, or /work/shared."""
    candidates = [
        os.environ.get("HANDOFF_REAL_DATA"),
        ROOT.parent / "shared" / "data" / "real",
        "/work/shared/data/real",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return ROOT.parent / "shared" / "data" / "real"


# The public datasets (Olist, ChannelAttribution PathData) live outside the repository: their
# licences (CC BY-NC-SA, GPL-3) are not ours to redistribute.
REAL_DATA = _real_data_dir()


def require_real_data(path: Path) -> Path:
    """`path` under REAL_DATA, or skip the test saying where the data was looked for."""
    if not path.exists():
        import pytest

        pytest.skip(f"real dataset not found at {path}: set HANDOFF_REAL_DATA to the shared data/real folder")
    return path


AS_OF = dt.date(2026, 6, 30)
DEMO_LEADS = 4000
DEMO_SEED = 7

# Canonical column order of each table, so hand-made rows may leave optional columns out.
COLUMNS = {
    "people": ["person_id", "name", "team", "role", "region", "manager_id"],
    "campaigns": ["campaign_id", "name", "channel", "owner_team", "start_date", "end_date", "budget", "cost"],
    "leads": [
        "lead_id",
        "created_at",
        "channel",
        "source_campaign_id",
        "sourced_by",
        "segment",
        "region",
        "industry",
        "company_size",
        "score",
        "mql_at",
        "sal_at",
        "sql_at",
        "disqualified_at",
        "disqualify_reason",
        "owner_id",
        "lead_name",
        "company_name",
    ],
    "touches": ["touch_id", "lead_id", "campaign_id", "channel", "team", "kind", "touched_at", "person_id"],
    "deals": [
        "deal_id",
        "lead_id",
        "created_at",
        "closed_at",
        "stage",
        "amount",
        "owner_id",
        "lost_reason",
        "product",
    ],
    "targets": ["period_start", "team", "metric", "segment", "value"],
}

Rows = Sequence[Mapping[str, object]]


def write_db(path: Path, tables: Mapping[str, Rows], meta: Mapping[str, str] | None = None) -> Path:
    """Build a Handoff database at `path` holding exactly `tables` (missing columns are NULL)."""

    def fill(con):
        for table in COLUMNS:  # parents first, so foreign keys resolve
            rows = tables.get(table, [])
            if not rows:
                continue
            frame = pd.DataFrame(
                [{c: row.get(c) for c in COLUMNS[table]} for row in rows], columns=COLUMNS[table]
            )
            frame = frame.astype(object).where(frame.notna(), None)
            placeholders = ", ".join("?" for _ in COLUMNS[table])
            con.executemany(f"insert into {table} values ({placeholders})", frame.values.tolist())
        return dict(meta or {})

    return db.build_database(path, fill)


def ts(text: str) -> dt.datetime:
    """A timestamp from 'YYYY-MM-DD HH:MM' (tests read better with strings)."""
    return dt.datetime.fromisoformat(text)


# ---------------------------------------------------------------------------------------------
# Hostile values: markdown, HTML and Streamlit directives in the data (tests/app/test_hostile_values.py,
# tests/e2e/test_hostile_browser.py). Each says EVIL, so what is left of it can be found where it is shown.

LINKS = "![EVIL](http://evil.example/x.png) [EVIL sign in again](http://evil.example/phish)"
MARKUP = ":red[EVIL] :material/warning: **EVIL** <img src=http://evil.example/y.png onerror=alert(1)> $EVIL$"
HOSTILE = {
    "channel": f"webinar {LINKS}",
    "campaign": f"Spring {MARKUP}",
    "person": f"Ada {LINKS}",
    "reason": f"price {MARKUP} www.evil.example",
    "segment": f"consumer {LINKS}",
    "policy": f"Follow up {LINKS} {MARKUP}",
}


def build_hostile_db(demo: Path, path: Path) -> Path:
    """A copy of the demo company at `path` whose channel, campaign, people, reasons and segment have
    hostile names."""

    def fill(con):
        con.execute("attach ? as demo (read_only)", [str(demo)])
        for table in db.TABLES:
            con.execute(f"insert into {table} select * from demo.{table}")
        con.execute("detach demo")
        for table in ("leads", "touches", "campaigns"):
            con.execute(f"update {table} set channel = ? where channel = 'webinar'", [HOSTILE["channel"]])
        con.execute(
            "update campaigns set name = ? where campaign_id = (select min(campaign_id) from campaigns "
            "where channel = ?)",
            [HOSTILE["campaign"], HOSTILE["channel"]],
        )
        con.execute("update people set name = ? where team = 'sales' and role = 'sdr'", [HOSTILE["person"]])
        con.execute(
            "update leads set disqualify_reason = ? where disqualify_reason = 'not_a_fit'",
            [HOSTILE["reason"]],
        )
        con.execute("update deals set lost_reason = ? where lost_reason = 'price'", [HOSTILE["reason"]])
        con.execute("update leads set segment = ? where segment = 'consumer'", [HOSTILE["segment"]])
        con.execute("update targets set segment = ? where segment = 'consumer'", [HOSTILE["segment"]])
        return {"as_of": "2026-06-30", "source": f"demo {LINKS}"}

    return db.build_database(path, fill)
