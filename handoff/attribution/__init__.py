"""Blame-free attribution: every model over the same journeys, credit to the cent.

A deal's journey is its lead's touches up to the conversion point (deals.closed_at of won deals
for basis revenue, deals.created_at for basis pipeline). `queries/attribution__touch_weights.sql`
gives each touch its roles and its weight under the seven rule-based models; the Markov chain
(`attribution__channel_transitions.sql`, solved with numpy) and the Shapley value are played over
channels and handed down to the touches, so every model rolls up to channel, campaign and team the
same way. Deals with no touch before the conversion point go to the `unattributed` key. Credits
are rounded with the largest-remainder method so each model sums to the scope's total to the cent.

The package, in the order its modules build on each other:

- `models`: the mathematics on numbers, free of any database (model ids, Markov removal effects,
  Shapley values, cent-exact rounding);
- `paths`: the path-level models over aggregated paths in ChannelAttribution's format;
- `journeys`: the scope's journeys as the models read them, and the touch keys kept per file;
- `credit`: each journey row's exact cents under every model;
- `queries`: the computed queries (attribution__credit, attribution__touch_credit,
  attribution__receipt, attribution__deals, attribution__scope_totals), registered on import;
- `view`: what the Attribution page and the meeting pack show (tables, sentences, charts);
- `leakage`: the same for leakage without blame (mix, rate and interaction, the grid, the loss).

`python -m handoff attribution-paths FILE.csv` (in handoff.cli) runs `paths` over a file.

Importing the package registers the computed queries (handoff.catalog imports it for the runner).
"""

from handoff.attribution.credit import touch_credit
from handoff.attribution.journeys import BASES, LEVELS, clear_file_caches
from handoff.attribution.models import MODEL_LABELS, MODELS
from handoff.attribution.paths import path_credit, read_paths
from handoff.attribution.queries import credit, deals, receipt, scope_totals

__all__ = [
    "BASES",
    "LEVELS",
    "MODELS",
    "MODEL_LABELS",
    "clear_file_caches",
    "credit",
    "deals",
    "path_credit",
    "read_paths",
    "receipt",
    "scope_totals",
    "touch_credit",
]
