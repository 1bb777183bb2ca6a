"""The labels layer: stored codes in words, ids as names, headers and flags for people."""

import pandas as pd

from handoff import labels
from handoff.labels import Names, fmt_label, header

OPTIONS = pd.DataFrame(
    {
        "dimension": ["segment", "owner", "campaign"],
        "value": ["mid_market", "P1", "C1"],
        "label": ["mid_market", "Ada Okafor (sdr)", "Spring webinar"],
        "lead_count": [3, 2, 1],
    }
)
NAMES = pd.DataFrame(
    {
        "kind": ["person", "person", "campaign"],
        "id": ["P1", "P2", "C1"],
        "name": ["Ada Okafor", "Ben Moreau", "Spring webinar"],
    }
)


def test_codes_read_as_words():
    assert fmt_label("paid_search") == "Paid search"
    assert fmt_label("mid_market") == "Mid-market"
    assert fmt_label("outbound_sdr") == "Outbound SDR"
    assert fmt_label("u_shaped") == "U-shaped" and fmt_label("markov") == "Markov chain"
    assert fmt_label("emea") == "EMEA" and fmt_label("smb") == "SMB"
    assert fmt_label(None) == "(none)"


def test_filter_options_read_as_the_sidebar_lists_them():
    names = Names.from_frames(OPTIONS, NAMES)
    assert names.option("segment", "mid_market") == "Mid-market"  # a code: in words
    assert names.option("owner", "P1") == "Ada Okafor (SDR)"  # a person: by name, the role in words
    assert names.option("campaign", "C1") == "Spring webinar"
    assert names.of_id("person", "P2") == "Ben Moreau" and names.of_id("person", "P9") == "P9"


def test_readable_words_codes_names_ids_and_drops_an_id_beside_its_name():
    names = Names.from_frames(OPTIONS, NAMES)
    frame = pd.DataFrame(
        {
            "Channel": ["paid_search", None],
            "owner_id": ["P1", "P2"],
            "campaign_id": ["C1", "C1"],
            "campaign_name": ["Spring webinar", "Spring webinar"],
            "note": ["paid_search", "x"],
        }
    )
    shown = labels.readable(frame, names)
    assert shown["Channel"].tolist() == ["Paid search", "–"]  # by its header too
    assert shown["owner_id"].tolist() == ["Ada Okafor", "Ben Moreau"]
    assert "campaign_id" not in shown  # its name is beside it
    assert shown["note"].tolist() == ["paid_search", "x"]  # free text is left alone
    assert frame["Channel"].iloc[0] == "paid_search"  # the original (the download) unchanged


def test_records_for_people_have_headers_in_words_and_flags_as_yes_no():
    frame = pd.DataFrame(
        {
            "lead_id": ["L1"],
            "mql_at": [pd.Timestamp("2026-01-02")],
            "is_won": [True],
            "won_rate": [0.25],
            "lead_count": [3],
        }
    )
    shown = labels.for_people(frame)
    assert list(shown.columns) == ["Lead ID", "MQL (UTC)", "Won?", "Won (%)", "Leads"]
    assert shown["Won?"].tolist() == ["Yes"] and shown["Won (%)"].tolist() == [25.0]
    assert header("speed_to_lead_hours") == "Speed to lead (h)" and header("amount_usd") == "Amount ($)"
