"""What an export holds, and which canonical column each of its columns looks like.

A file is read as the importer reads it (`handoff.ingest.read`) and each column profiled: how many
values it has, whether they repeat, its commonest distinct values, and from its first SAMPLE_ROWS
rows whether they are numbers, or dates and which strftime formats read every one of them. A
column is matched to a canonical column by its name, normalised (case, spaces, punctuation) and
compared with NAMES, synonyms that include the CRM column names of the hubspot and salesforce
presets; a required column no name matches is guessed from the values (a unique column is an id,
a date column a creation date…).

Then which file feeds which table (`plan_tables`): a file with a stage and an amount is deals, one
with a lead id leads; with no leads file the leads come from the deals file, one a deal. A file
that is neither is looked up by a column it shares with the leads file (an accounts file: a lead's
segment, region and industry). `handoff.ingest.draft` writes the plan as a mapping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from handoff.ingest.canonical import CANONICAL
from handoff.ingest.column_spec import fold
from handoff.ingest.mapping import Source
from handoff.ingest.parse import parse_numbers, parse_timestamps
from handoff.ingest.read import read_file, sniff
from handoff.ingest.report import Collector

SAMPLE_ROWS = 1_000
MAX_MAP_VALUES = 40  # a column with more distinct values gets no map skeleton

# Header names per canonical column, best first, compared normalised (`normalise`). They include
# every column the hubspot and salesforce presets read for leads and deals (a test holds them to it).
# fmt: off
NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "leads": {
        "lead_id": ("lead id", "record id", "prospect id", "lead number", "contact id", "mql id", "id"),
        "created_at": ("created at", "create date", "created date", "created on", "created", "creation date",
                       "date created", "created time", "lead created date", "first contact date", "date"),
        "channel": ("channel", "lead source", "original source", "source", "origin", "lead channel",
                    "marketing channel", "utm source"),
        "segment": ("segment", "no of employees", "number of employees", "employees", "employee count",
                    "company size", "size"),
        "region": ("region", "country", "country region", "territory", "sales region", "office location",
                   "headquarters", "location"),
        "sourced_by": ("sourced by", "source team"),
        "industry": ("industry", "sector", "vertical"),
        "company_size": ("company size", "no of employees", "number of employees", "employees", "employee count"),
        "score": ("score", "lead score", "hubspot score", "lead rating"),
        "mql_at": ("mql at", "mql date", "became a marketing qualified lead date", "marketing qualified date"),
        "sal_at": ("sal at", "sal date", "sales accepted date", "accepted date"),
        "sql_at": ("sql at", "sql date", "became a sales qualified lead date", "converted date",
                   "sales qualified date", "qualified date"),
        "disqualified_at": ("disqualified at", "disqualified date", "disqualified on", "unqualified date"),
        "disqualify_reason": ("disqualify reason", "disqualification reason", "disqualified reason",
                              "unqualified reason"),
        "owner_id": ("owner id", "lead owner", "contact owner", "owner", "sdr", "sdr id", "assigned to"),
        "lead_name": ("lead name", "full name", "contact name", "name"),
        "company_name": ("company name", "company", "company account", "account name", "account",
                         "organization"),
    },
    "deals": {
        "deal_id": ("deal id", "opportunity id", "opp id", "opportunity number", "opp number", "deal number",
                    "record id", "id"),
        "lead_id": ("lead id", "lead number", "contact id", "associated contact ids", "prospect id", "mql id"),
        "created_at": ("created at", "created date", "create date", "created on", "created", "opened",
                       "open date", "opened date", "creation date", "date created"),
        "closed_at": ("closed at", "close date", "closed date", "closed on", "won date", "close time"),
        "stage": ("stage", "deal stage", "opportunity stage", "sales stage", "pipeline stage"),
        "amount": ("amount", "close value", "deal value", "value", "deal amount", "opportunity amount",
                   "revenue", "deal size"),
        "owner_id": ("owner id", "deal owner", "opportunity owner", "sales agent", "owner", "sales rep",
                     "account executive", "ae", "sr id"),
        "lost_reason": ("lost reason", "closed lost reason", "loss reason", "reason lost"),
        "product": ("product", "product name", "product line"),
    },
}
DATE_FAMILIES = {  # formats that agree on the order of day and month, the most specific first
    "iso": ("iso",),
    "month first": ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
                    "%m/%d/%Y"),
    "day first": ("%d/%m/%Y %I:%M %p", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"),
    "day first with dots": ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y"),
    "day first with dashes": ("%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y"),
    "year first with slashes": ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d"),
    "month names": ("%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%d-%b-%Y"),
}
# fmt: on
# Leads columns an accounts-like file may give, looked up by its key.
LOOKED_UP = ("segment", "region", "industry", "company_size")
_DATE_LIKE = re.compile(r"\d{1,4}[-/. ][0-9A-Za-z]{1,9}[-/., ]+\d{1,4}|[A-Za-z]{3,9} \d{1,2}, \d{4}")


def normalise(name: str) -> str:
    """A column name as the draft compares it: lower case, words only ('No. of Employees' → 'no of employees')."""
    return " ".join(re.findall(r"[^\W_]+", name.casefold()))


def as_code(value: str) -> str:
    """A value as a stored code: 'Organic Search' → 'organic_search'."""
    return "_".join(re.findall(r"[^\W_]+", value.casefold())) or value


# ---------------------------------------------------------------------------------------------
# Profiles: what each column of a file holds


@dataclass
class DateFit:
    """Which family of date formats reads every sampled value, and with which of its formats."""

    fits: dict[str, tuple[str, ...]]  # family -> the formats of it that read some value
    family: str
    hinted: bool = False  # the header says the order (dd/mm/yyyy)

    @property
    def formats(self) -> tuple[str, ...]:
        return self.fits[self.family]

    @property
    def ambiguous(self) -> bool:
        return len(self.fits) > 1 and not self.hinted


@dataclass(eq=False)
class Profile:
    """One column of a file: counts over all its rows, numbers and dates from its first rows."""

    header: str
    words: str
    filled: int
    rows: int
    distinct: list[str]  # distinct values, most frequent first (spellings of one merged; at most 41)
    unique: bool  # no sampled value repeats
    numbers: pd.Series | None  # the values as numbers, if every non-empty one is a number
    dates: DateFit | None

    @property
    def is_id(self) -> bool:
        return self.unique and self.filled == self.rows > 0 and self.dates is None


@dataclass(eq=False)
class SourceFile:
    """One file: the [sources.NAME] it becomes and its columns."""

    path: Path
    name: str
    pattern: str
    rows: int
    columns: list[Profile]
    footer: bool = False  # a blank row, then rows that are not data (a Salesforce report's footer)


def _profile(header: str, values: pd.Series) -> Profile:
    """A column's counts and distinct values over the whole file; numbers and dates from its first
    SAMPLE_ROWS rows (formats are tried there only)."""
    values = values.astype("str").str.strip()
    present = values[values != ""]
    spellings: dict[str, str] = {}
    for value in present.value_counts(sort=True).index:
        spellings.setdefault(fold(value), value)
        if len(spellings) > MAX_MAP_VALUES:
            break
    sample = present.loc[present.index < SAMPLE_ROWS]
    numbers, _, bad = parse_numbers(sample)
    numeric = len(sample) > 0 and not bad.any()
    return Profile(
        header,
        normalise(header),
        len(present),
        len(values),
        list(spellings.values()),
        present.nunique() == len(present),
        numbers if numeric else None,
        None if numeric else _fit_dates(sample, normalise(header)),
    )


def _fit_dates(present: pd.Series, words: str) -> DateFit | None:
    """The date formats that read every value (None: not dates); the header may say dd/mm or mm/dd."""
    if present.empty or not present.str.contains(_DATE_LIKE).all():
        return None
    fits = {}
    for family, formats in DATE_FAMILIES.items():
        todo, used = present, []
        for fmt in formats:
            bad = parse_timestamps(todo, [fmt])[1].to_numpy()
            used += [fmt] if not bad.all() else []
            todo = todo[bad]
            if todo.empty:
                fits[family] = tuple(used)
                break
    if not fits:
        return None
    hint = "day first" if re.search(r"\bdd mm\b", words) else "month first" if "mm dd" in words else None
    family = next((f for f in fits if hint and f.startswith(hint)), next(iter(fits)))
    return DateFit(fits, family, hinted=family.startswith(hint or "-"))


def _settle_date_order(columns: list[Profile]) -> None:
    """A column whose dates read both ways takes the order another column of the file settles."""
    settled = {p.dates.family for p in columns if p.dates and not p.dates.ambiguous}
    for profile in columns:
        if profile.dates and profile.dates.ambiguous:
            family = next((f for f in profile.dates.fits if f in settled), None)
            if family:
                profile.dates = DateFit(profile.dates.fits, family, hinted=True)


def profile_file(path: Path, name: str) -> SourceFile:
    """Read `path` as the importer does and profile its first SAMPLE_ROWS rows."""
    sniffed = sniff(path)
    source = Source().model_copy(update={"name": name})
    collector = Collector()
    frame, info = read_file(sniffed, source, collector, lambda fraction: None)
    columns = [_profile(header, frame[header]) for header in sniffed.header]
    _settle_date_order(columns)
    pattern = re.sub(r"([*?\[])", r"[\1]", _stem(path)) + "*"
    footer = info.blank_rows > 0 and any(kind == "malformed_row" for kind, *_ in collector.groups)
    return SourceFile(path, name, pattern, len(frame), columns, footer)


def _stem(path: Path) -> str:
    """The file's name without its extension and the date an export may end in."""
    return re.sub(r"[-_ .]*\d{4}-?\d{2}-?\d{2}$", "", path.stem) or path.stem


def source_names(paths: Sequence[Path]) -> list[str]:
    """A [sources.NAME] per file, from its name: `sales_pipeline.csv` → `sales_pipeline`."""
    names: list[str] = []
    for path in paths:
        stem = _stem(path)
        base = as_code(stem) if re.search(r"[^\W_]", stem) else "export"
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base}_{n}"
        names.append(name)
    return names


# ---------------------------------------------------------------------------------------------
# Matching: which column (of which file) makes each canonical column


@dataclass
class Link:
    """A lookup into another file: this file's `column` found in the other's `key`."""

    source: SourceFile
    column: str
    key: str


@dataclass
class Match:
    """What makes one canonical column: a column (or None: nothing found), how sure, and why."""

    profile: Profile | None
    notes: list[str] = field(default_factory=list)
    how: str = "name"  # name, prefix (the header starts with a known name), content, given
    via: Link | None = None


def by_name(src: SourceFile, table: str, column: str, taken: set[str]) -> list[tuple[int, int, Profile]]:
    """(0 exact / 1 header starts with the name, the name's rank, column) for each column named so."""
    found = []
    for profile in src.columns:
        if profile.header in taken:
            continue
        scores = [
            (0 if profile.words == name else 1, rank)
            for rank, name in enumerate(map(normalise, NAMES[table].get(column, ())))
            if profile.words == name or profile.words.startswith(name + " ")
        ]
        if scores:
            found.append((*min(scores), profile))
    return sorted(found, key=lambda f: f[:2])


def _fits(profile: Profile, kind: str) -> bool:
    """Whether the column's values can be of the canonical type (an empty column can be anything)."""
    if profile.filled == 0 or kind == "text":
        return True
    return profile.dates is not None if kind in ("timestamp", "date") else profile.numbers is not None


def choose(src: SourceFile, table: str, column: str, taken: set[str]) -> Match | None:
    """The column named like `column`, with a note when several are or one's values do not fit."""
    kind = CANONICAL[table].column(column).type
    found = by_name(src, table, column, taken)
    fitting = [f for f in found if _fits(f[2], kind)]
    if not fitting:
        header = found[0][2].header if found else None
        return (
            Match(None, [f"unsure: {header!r} is named like {column}, but its values are not {kind}s"])
            if header
            else None
        )
    best, _, profile = fitting[0]
    ties = [p.header for b, _, p in fitting[1:] if b == best]
    notes = []
    if ties:
        others = ", ".join(map(repr, ties))
        notes.append(
            f"unsure: {len(ties) + 1} columns could be {column}: {profile.header!r} (used), {others}"
        )
    return Match(profile, notes, "name" if best == 0 else "prefix")


def _looks_like_amount(p: Profile) -> bool:
    numbers = p.numbers
    return numbers is not None and bool((numbers >= 0).all()) and bool((numbers % 1 != 0).any())


def stage_of(value: str) -> str:
    """A stage as the canonical one it obviously is: won, lost, else open."""
    words = set(normalise(value).split())
    return "won" if words & {"won", "win"} else "lost" if words & {"lost", "lose"} else "open"


def _looks_like_stage(p: Profile) -> bool:
    return 1 < len(p.distinct) <= MAX_MAP_VALUES and any(stage_of(v) != "open" for v in p.distinct)


CONTENT_GUESSES: dict[tuple[str, str], tuple[str, Callable[[Profile], bool]]] = {
    ("leads", "lead_id"): ("every value present and different", lambda p: p.is_id),
    ("deals", "deal_id"): ("every value present and different", lambda p: p.is_id),
    ("leads", "created_at"): ("its values are dates", lambda p: p.dates is not None),
    ("deals", "created_at"): ("its values are dates", lambda p: p.dates is not None),
    ("deals", "amount"): ("numbers of at least 0, with decimals", _looks_like_amount),
    ("deals", "stage"): ("few values, some reading as won or lost", _looks_like_stage),
}


def _guess(src: SourceFile, table: str, column: str, taken: set[str]) -> Match | None:
    """A required column no header names, guessed from the values."""
    what, test = CONTENT_GUESSES.get((table, column), ("", None))
    profile = next((p for p in src.columns if test and p.header not in taken and test(p)), None)
    if profile is None:
        return None
    note = f"unsure: no column is named like {column}; {profile.header!r} guessed from its values ({what})"
    return Match(profile, [note], "content")


def match_table(
    src: SourceFile, table: str, given: dict[str, Match], others: Sequence[SourceFile] = ()
) -> dict[str, Match]:
    """Per canonical column of `table`, what makes it from `src`: names first, then the values of
    required columns, then (leads) columns of another file looked up by a shared key."""
    matches = dict(given)
    taken = {m.profile.header for m in given.values() if m.profile and not m.via}
    for column in CANONICAL[table].columns:
        if column.name in matches:
            continue
        match = choose(src, table, column.name, taken)
        if match and match.how == "prefix" and not column.required:  # a suggestion only
            header = json.dumps(match.profile.header, ensure_ascii=False)
            match = Match(None, [f"unsure: {header} may be {column.name}: {column.name} = {header}"])
        if match:
            matches[column.name] = match
            taken |= {match.profile.header} if match.profile else set()
    for column in CANONICAL[table].columns:
        if column.required and not (matches.get(column.name) and matches[column.name].profile):
            guessed = _guess(src, table, column.name, taken)
            if guessed:
                matches[column.name] = guessed
                taken.add(guessed.profile.header)
    if table == "leads":
        _look_up(src, matches, others)
    return matches


def _look_up(src: SourceFile, matches: dict[str, Match], others: Sequence[SourceFile]) -> None:
    """Leads columns `src` lacks, from another file holding one row per value of a shared column."""
    for other in others:
        keys = {p.words: p.header for p in other.columns if p.is_id}
        shared = next(((p.header, keys[p.words]) for p in src.columns if p.words in keys), None)
        if shared is None:
            continue
        for column in LOOKED_UP:
            if matches.get(column) and matches[column].profile:
                continue
            found = choose(other, "leads", column, set())
            if found and found.profile and found.how == "name":
                link = Link(other, *shared)
                note = f"from {other.path.name}: the row whose {link.key!r} is this row's {link.column!r}"
                matches[column] = Match(found.profile, [*found.notes, note], "name", link)


# ---------------------------------------------------------------------------------------------
# Which file feeds which table


@dataclass
class Planned:
    """One feed to draft: a table, the file it reads and what makes each of its columns."""

    table: str
    src: SourceFile
    matches: dict[str, Match]
    notes: list[str] = field(default_factory=list)


def _role(src: SourceFile) -> str:
    """deals (a stage and an amount or deal id by name), leads (a lead id), or other."""

    def named(table: str, column: str) -> bool:
        return any(exact == 0 for exact, _, _ in by_name(src, table, column, set()))

    if named("deals", "stage") and (named("deals", "amount") or named("deals", "deal_id")):
        return "deals"
    if by_name(src, "leads", "lead_id", set()):
        return "leads"
    has_dates = any(p.dates for p in src.columns)
    return "leads" if has_dates and any(p.is_id for p in src.columns) else "other"


def plan_tables(files: list[SourceFile]) -> tuple[list[Planned], list[SourceFile]]:
    """The feeds of leads and deals, and the files left to be looked up (or unused). One file
    gives the leads: of those with a lead id, the one naming the most leads columns."""
    roles = {f.name: _role(f) for f in files}
    leads = sorted((f for f in files if roles[f.name] == "leads"), key=lambda f: -_leads_named(f))
    others = [f for f in files if roles[f.name] == "other" or f in leads[1:]]
    if not leads and not any(r == "deals" for r in roles.values()):
        leads, others = others[:1], others[1:]  # nothing looks like either: read the first as leads
    deals = [Planned("deals", f, match_table(f, "deals", {})) for f in files if roles[f.name] == "deals"]
    if not leads:
        return [_leads_from_deals(deals[0], others), *deals], others
    lead_feed = Planned("leads", leads[0], match_table(leads[0], "leads", {}, others))
    if leads[1:]:
        names = ", ".join(f.path.name for f in leads[1:])
        lead_feed.notes.append(
            f"unsure: {names} also look like leads; this draft reads the leads from one file"
        )
    for feed in deals:
        _link_deal_to_lead(feed, lead_feed)
    return [lead_feed, *deals], others


def _leads_named(src: SourceFile) -> int:
    """How many leads columns a file has a column named exactly like."""
    return sum(any(b == 0 for b, _, _ in by_name(src, "leads", c, set())) for c in NAMES["leads"])


def _leads_from_deals(deals: Planned, others: Sequence[SourceFile]) -> Planned:
    """With no leads file, one lead per deal: its id the deal's id, created when the deal was."""
    deal_id = deals.matches.get("deal_id") or Match(None)
    given = {"lead_id": Match(deal_id.profile, how="given")}
    if deals.matches.get("created_at"):
        given["created_at"] = deals.matches["created_at"]
    name = deal_id.profile.header if deal_id.profile else "its id"
    deals.matches["lead_id"] = Match(deal_id.profile, [f"each deal is its own lead ({name})"], "given")
    note = (
        f"No leads export among the files: one lead per deal of {deals.src.path.name}, its lead_id the "
        f"deal's {name}. Add your leads export (and link the deals to it) when you have one."
    )
    return Planned("leads", deals.src, match_table(deals.src, "leads", given, others), [note])


def _found(planned: Planned, column: str) -> bool:
    match = planned.matches.get(column)
    return bool(match and match.profile)


def _link_deal_to_lead(deals: Planned, leads: Planned) -> None:
    """A deal's lead (see `_deal_lead`); a deal's created_at, if its file has none, its lead's."""
    lead_id = leads.matches.get("lead_id")
    if not (lead_id and lead_id.profile):
        return
    found = _deal_lead(deals, leads.src, lead_id.profile)
    if found:
        deals.matches["lead_id"] = found
    link = deals.matches.get("lead_id")
    created = leads.matches.get("created_at")
    if _found(deals, "created_at") or not (
        link and link.profile and not link.via and _found(leads, "created_at")
    ):
        return
    note = (
        "unsure: no date the deal was opened, so its lead's created date (name yours if the export has one)"
    )
    via = Link(leads.src, link.profile.header, lead_id.profile.header)
    deals.matches["created_at"] = Match(created.profile, [note], "name", via)


def _deal_lead(deals: Planned, leads: SourceFile, lead_key: Profile) -> Match | None:
    """A column of the deals named as the leads' id, else a lookup of the leads' column holding the
    deal's id (Salesforce's Converted Opportunity ID); None: keep what the names found."""
    taken = {m.profile.header for m in deals.matches.values() if m.profile}
    same = next((p for p in deals.src.columns if p.words == lead_key.words and p.header not in taken), None)
    if same:
        return Match(same)
    deal_id = deals.matches.get("deal_id")
    if _found(deals, "lead_id") or not (deal_id and deal_id.profile):
        return None
    words = deal_id.profile.words
    holder = next((p for p in leads.columns if p is not lead_key and p.words.endswith(words)), None)
    if holder is None:
        return None
    note = f"the lead whose {holder.header!r} is this deal's {deal_id.profile.header!r}"
    return Match(lead_key, [note], "name", Link(leads, deal_id.profile.header, holder.header))
