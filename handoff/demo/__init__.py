"""A deterministic demo company: two years of leads, touches, deals and targets.

Everything is drawn with numpy, a whole column at a time (never a Python loop per lead), then
loaded into DuckDB, which formats the text ids. The story it tells, so the dashboard has
something to find:

- seasonality (a summer lull, an autumn peak) on a growing business;
- channels that differ in lead quality (score) and in cost per lead;
- SDRs who differ in follow-up speed, and conversion that depends on both score and speed;
- one quarter where marketing missed its MQL volume (paid budget paused), and another where sales
  follow-up slipped (a hiring freeze), both visible against the monthly targets;
- MQLs still waiting for a first response at the as-of date (the SLA live queue).
"""

from handoff.demo.build import DEFAULT_LEADS, DEFAULT_SEED, build_demo, generate
from handoff.demo.company import demo_start

__all__ = ["DEFAULT_LEADS", "DEFAULT_SEED", "build_demo", "demo_start", "generate"]
