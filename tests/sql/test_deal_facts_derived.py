"""deal_facts (handoff/derived/40_deal_facts.sql) holds every deal whose lead exists,
with that lead's own attributes, on the demo company and after an import of it."""

from __future__ import annotations

from handoff import db

ATTRIBUTES = ("channel", "source_campaign_id", "segment", "region", "industry", "company_size", "owner_id",
              "sourced_by", "score", "mql_at")

COMPARE_SQL = """
select
    (select count(*) from deals as d join leads as l using (lead_id)) as deal_count,
    (select count(*) from deal_facts) as fact_count,
    (select count(*)
     from deal_facts as f
     join deals as d using (deal_id)
     join leads as l on l.lead_id = d.lead_id
     join lead_milestones as m on m.lead_id = d.lead_id
     where f.lead_id is distinct from d.lead_id
        or f.deal_created_at is distinct from d.created_at or f.deal_closed_at is distinct from d.closed_at
        or f.amount is distinct from d.amount or f.deal_stage is distinct from d.stage
        or f.speed_to_lead_hours is distinct from m.speed_to_lead_hours
        or {attributes}) as mismatched_count
"""


def test_deal_facts_are_each_deal_with_its_leads_attributes(demo_db):
    sql = COMPARE_SQL.format(attributes=" or ".join(f"f.{c} is distinct from l.{c}" for c in ATTRIBUTES))
    row = db.execute(sql, db=demo_db).iloc[0]
    assert row["deal_count"] == row["fact_count"] > 0
    assert row["mismatched_count"] == 0
