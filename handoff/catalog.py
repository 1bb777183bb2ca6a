"""Every named query Handoff has: the SQL files of queries/ (the runner reads them by name) and the
computed queries, which the modules below register when they are imported.

The entry points (the command line, the app's ui module, the tests and the benchmark) import this
catalog, so `db.run_query` knows every computed query; `db` itself imports none of them (they all
import `db`).
"""

from handoff import attribution, funnel, pivot, sla  # noqa: F401  (each registers its computed queries)

MODULES = (funnel, sla, attribution, pivot)
