"""The Overview page in AppTest on the demo company (as of 30 June 2026)."""

from handoff import metrics as registry
from handoff import overview
from tests.app.conftest import no_exception


def metrics(at):
    return {m.label.split("] ", 1)[-1]: m.value for m in at.metric}


def test_every_kpi_tile_with_its_definition(app):
    at = app("overview", period="Last quarter")
    no_exception(at)
    tiles = metrics(at)
    # Every tile is a registry metric, its label stating the basis, its help the registry's definition.
    assert list(tiles) == [registry.label(kpi.metric_id) for kpi in overview.KPIS]
    assert list(tiles)[:3] == ["MQLs in the period", "SALs in the period", "SQLs in the period"]
    assert all(value not in ("", "–") for value in tiles.values()), tiles
    assert [m.help for m in at.metric] == [registry.help_text(kpi.metric_id) for kpi in overview.KPIS]
    # The SLA tiles say what they count.
    assert any("month × segment checks judged" in c.value for c in at.caption)
    assert any("MQL checks judged" in c.value for c in at.caption)
    assert any("of target" in c.value for c in at.caption)
    assert len([m for m in at.markdown if m.value.startswith("- ")]) == 3  # what changed
    assert "Meeting pack (HTML)" in [button.label for button in at.download_button]


def test_a_filter_changes_the_numbers(app):
    everyone = metrics(app("overview", period="Last quarter"))
    smb = metrics(app("overview", period="Last quarter", segment="smb"))
    mqls = registry.label("mql_count")
    assert int(smb[mqls].replace(",", "")) < int(everyone[mqls].replace(",", ""))


def test_an_empty_selection_says_so(app):
    at = app("overview", period="Custom", start="2030-01-01", end="2030-01-31")
    no_exception(at)
    assert "No leads or deals match these filters" in at.info[0].value
    assert not at.metric


def test_a_missing_policy_file_still_shows_the_sla_tiles(app, tmp_path, monkeypatch):
    from handoff.sla import policy_file

    monkeypatch.setattr(policy_file, "POLICY_FILE", tmp_path / "sla_policies.toml")
    at = app("overview", period="Last quarter")
    no_exception(at)
    assert "no such policy file" in at.warning[0].value
    assert metrics(at)[registry.label("sla_sales_compliance_rate")] not in ("", "–")
