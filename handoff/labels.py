"""The one labels layer: every stored code a person reads, in the words people use.

Segments, regions, channels, teams, reasons, roles and models are stored as codes (`mid_market`,
`paid_search`, `u_shaped`); people and campaigns by id. Filters, captions, tables, charts, the CLI's
`table` format and the meeting pack show them through here. URLs, CSV and JSON keep the codes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

# The attribution models' names, as the pickers, tables and the meeting pack show them.
MODEL_LABELS = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "linear": "Linear",
    "time_decay": "Time decay",
    "u_shaped": "U-shaped",
    "w_shaped": "W-shaped",
    "full_path": "Full path",
    "markov": "Markov chain",
    "shapley": "Shapley value",
}

# Codes whose words the general rule ('paid_search' → 'Paid search') would get wrong.
_WORDS = {
    "mid_market": "Mid-market",
    "ai": "AI",
    **MODEL_LABELS,
}

# Words that keep their capitals when a stored value becomes a label.
_UPPER = {
    "na": "NA",
    "emea": "EMEA",
    "apac": "APAC",
    "latam": "LATAM",
    "sdr": "SDR",
    "ae": "AE",
    "mql": "MQL",
    "sal": "SAL",
    "sql": "SQL",
    "smb": "SMB",
    "seo": "SEO",
    "usd": "USD",
    "cac": "CAC",
    "roi": "ROI",
    "crm": "CRM",
    "id": "ID",
    "utc": "UTC",
}

# Result columns that hold stored codes rather than names.
CODED_COLUMNS = frozenset(
    {
        "channel",
        "segment",
        "region",
        "owner_team",
        "team",
        "sourced_by",
        "role",
        "kind",
        "model",
        "exit_reason",
        "lost_reason",
        "disqualify_reason",
        "reason",
        "group_value",
        "from_channel",
        "to_channel",
        "industry",
        "stage",
        "status",
        "lever",
    }
)

# Id columns a name exists for, and the kind of name: people by name, campaigns by name.
ID_COLUMNS = {
    "owner_id": "person",
    "person_id": "person",
    "manager_id": "person",
    "campaign_id": "campaign",
    "source_campaign_id": "campaign",
}


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def fmt_label(value) -> str:
    """A stored code as words: 'paid_search' → 'Paid search', 'emea' → 'EMEA', 'u_shaped' → 'U-shaped'."""
    if _missing(value):
        return "(none)"
    text = str(value)
    if text in _WORDS:
        return _WORDS[text]
    words = text.replace("_", " ").split(" ")
    if not words or not words[0]:
        return text
    first = _UPPER.get(words[0].lower(), words[0][:1].upper() + words[0][1:])
    return " ".join([first, *(_UPPER.get(w.lower(), w) for w in words[1:])])


@dataclass(frozen=True)
class Names:
    """The names the data gives its ids: people and campaigns (from `filters__options`)."""

    people: Mapping[str, str] = field(default_factory=dict)
    campaigns: Mapping[str, str] = field(default_factory=dict)
    # A filter option's label as the sidebar lists it ('Ivan Romano (SDR)').
    options: Mapping[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def from_frames(cls, options: pd.DataFrame, names: pd.DataFrame) -> Names:
        """Names from the rows of `filters__options` and `data__names`."""
        labelled = {
            (dimension, value): _option_label(dimension, value, label)
            for dimension, value, label in options[["dimension", "value", "label"]].itertuples(index=False)
        }
        by_kind = {
            kind: dict(zip(rows["id"], rows["name"], strict=True)) for kind, rows in names.groupby("kind")
        }
        return cls(people=by_kind.get("person", {}), campaigns=by_kind.get("campaign", {}), options=labelled)

    def option(self, dimension: str, value) -> str:
        """A shared filter's value as the sidebar shows it: a name, or the code in words."""
        return self.options.get((dimension, value)) or fmt_label(value)

    def of_id(self, kind: str, value) -> str:
        """A person's or a campaign's name ('–' for none, the id itself when the data names it nowhere)."""
        if _missing(value):
            return "–"
        names = self.people if kind == "person" else self.campaigns
        return names.get(value, str(value))


def _option_label(dimension: str, value, label) -> str:
    """A filter option as the sidebar lists it: a campaign's name, a person's name with the role in
    words ('Ivan Romano (SDR)' from filter_options' 'Ivan Romano (sdr)'), any other code in words."""
    if dimension == "campaign":
        return str(label)
    if dimension == "owner":
        match = re.fullmatch(r"(.*) \(([^()]*)\)", str(label))
        return f"{match[1]} ({fmt_label(match[2])})" if match else str(label)
    return fmt_label(value)


def readable(frame: pd.DataFrame, names: Names | None = None) -> pd.DataFrame:
    """`frame` with its codes in words and its ids as names, for people to read (never for a download).

    A coded column (by its query name, `channel`, or its header, "Channel") reads in words; an id
    column becomes the name it stands for, or goes when the frame already has that name beside it
    (`owner_id` next to `owner_name`).
    """
    names = names or Names()
    shown = frame.copy()
    columns = {_column_key(column): column for column in frame.columns}
    for key, column in columns.items():
        if key in CODED_COLUMNS and _is_text(frame[column]):
            shown[column] = frame[column].map(lambda v: "–" if _missing(v) else fmt_label(v))
        elif key in ID_COLUMNS:
            kind = ID_COLUMNS[key]
            if {key.removesuffix("_id") + "_name", f"{kind}_name"} & columns.keys():
                shown = shown.drop(columns=column)
            else:
                shown[column] = frame[column].map(lambda v, k=kind: names.of_id(k, v))
    return shown


def _column_key(column) -> str:
    """A column's query name, from either itself or its header: 'Owner id' → 'owner_id'."""
    return str(column).strip().lower().replace(" ", "_")


def _is_text(values: pd.Series) -> bool:
    return values.dtype == object or pd.api.types.is_string_dtype(values)


# Header suffixes that carry a unit, and the unit as a header shows it.
_UNIT_SUFFIXES = {"_rate": " (%)", "_days": " (days)", "_hours": " (h)", "_usd": " ($)", "_at": " (UTC)"}


def header(column: str) -> str:
    """A query column as a header: 'speed_to_lead_hours' → 'Speed to lead (h)', 'mql_at' → 'MQL (UTC)'."""
    name = str(column)
    for suffix, unit in _UNIT_SUFFIXES.items():
        if name.endswith(suffix) and name != suffix.strip("_"):
            return fmt_label(name.removesuffix(suffix)) + unit
    if name.startswith("is_"):
        return fmt_label(name.removeprefix("is_")) + "?"
    if name.endswith("_count"):
        return fmt_label(name.removesuffix("_count")) + "s"
    return fmt_label(name)


def for_people(frame: pd.DataFrame, names: Names | None = None) -> pd.DataFrame:
    """A record list for people: codes in words, ids as names, yes/no for flags, headers in words."""
    shown = readable(frame, names)
    for column in shown.columns:
        if pd.api.types.is_bool_dtype(shown[column]):
            shown[column] = shown[column].map({True: "Yes", False: "No"}).fillna("–")
        elif str(column).endswith("_rate"):
            shown[column] = 100 * pd.to_numeric(shown[column], errors="coerce")
    return shown.rename(columns={column: header(column) for column in shown.columns})
