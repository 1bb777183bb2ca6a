"""The SLA caches (parsed policies, window evaluations, verdicts per database file) live in the one
shared store of handoff.cache, sized in bytes, and `sla.clear_caches` forgets them."""

import datetime as dt

from handoff import cache, db, sla
from handoff.filters import Filters

Q1 = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 4, 1))


def kept() -> dict[str, int]:
    """Bytes kept per cache name."""
    out: dict[str, int] = {}
    for (name, _), (_, size) in list(cache.STORE.items.items()):
        out[name] = out.get(name, 0) + size
    return out


def test_the_sla_caches_live_in_the_shared_store_and_clear(demo_db):
    db.RESULTS.clear()
    sla.clear_caches(per_file=True)
    db.run_query("sla__compliance", Q1, db=demo_db)
    sizes = kept()
    assert {"sla.parsed_policies", "sla.window_evaluations", "sla.judged_verdicts"} <= set(sizes)
    # The verdicts are counted at the size they grew to, not the empty store first kept: two per-MQL
    # policies, each 18 bytes (threshold, measured, status, judged) an MQL at least.
    mqls = len(db.run_query("sla__mql_clock", Q1, db=demo_db))
    assert sizes["sla.judged_verdicts"] >= 2 * mqls * 18
    sla.clear_caches()
    assert "sla.window_evaluations" not in kept() and "sla.judged_verdicts" in kept()
    sla.clear_caches(per_file=True)
    assert "sla.judged_verdicts" not in kept()
