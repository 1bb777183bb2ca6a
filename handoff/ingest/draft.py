"""A starting mapping drafted from the files themselves (`python -m handoff mapping init`).

`handoff.ingest.profile` says what each file holds, which canonical column each of its columns
looks like and which file feeds which table; this module turns that into column specs (value maps,
bins, defaults, date formats, lookups; owners become people) and writes the mapping.

The mapping is TOML written here, with comments: what the draft is unsure of as `# unsure:`, what
it could not find as `# TODO:`. A required column it found nothing for gets a constant, so the file
still loads: `unknown`, or `???` where no constant makes sense, which the import then refuses by
name. A value map lists the values found, each mapped to the canonical value it obviously is
(`Closed Won` → `won`), to what a preset maps it to (countries to regions), or to a code of its
own (`Olark Chat` → `olark_chat`), for the person to group. `draft_mapping` returns a `Draft`: its
`text` is the file, its `notes` what the person running the command should know; `write_draft`
saves it.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
import textwrap
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from handoff.errors import HandoffError
from handoff.files import replacing_file
from handoff.ingest.canonical import CANONICAL, TABLE_ORDER
from handoff.ingest.column_spec import fold
from handoff.ingest.mapping import MappingError, load_mapping, parse_mapping
from handoff.ingest.profile import (
    DATE_FAMILIES,
    MAX_MAP_VALUES,
    SAMPLE_ROWS,
    Link,
    Match,
    Planned,
    Profile,
    SourceFile,
    as_code,
    normalise,
    plan_tables,
    profile_file,
    source_names,
    stage_of,
)
from handoff.ingest.read import ImportFileError
from handoff.ingest.report import counted

INLINE_MAP_VALUES = 4  # a longer map is written as a table of its own
PLACEHOLDER = "???"  # a required value nothing was found for, where no constant makes sense
SEGMENT_BINS = [[0, "smb"], [200, "mid_market"], [1000, "enterprise"]]  # as the salesforce preset
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
# fmt: off
SEGMENT_WORDS = {"smb": "smb", "small": "smb", "small business": "smb", "mid market": "mid_market",
                 "midmarket": "mid_market", "mid": "mid_market", "enterprise": "enterprise",
                 "large": "enterprise", "consumer": "consumer", "b2c": "consumer"}
# fmt: on


class DraftError(HandoffError):
    """A draft cannot be written where asked (the file is there already)."""


# ---------------------------------------------------------------------------------------------
# Column specs: how the mapping makes each canonical column


@dataclass
class Entry:
    """One canonical column of a feed: its spec (None: a comment only) and the comments above it."""

    column: str
    spec: dict | None
    notes: list[str] = field(default_factory=list)


@dataclass
class FeedDraft:
    """One [tables.X] of the draft."""

    table: str
    source: str
    entries: list[Entry]
    notes: list[str] = field(default_factory=list)
    distinct: bool = False
    where: dict | None = None
    missing: list[str] = field(default_factory=list)  # optional columns nothing was found for


# (table, column) -> (the constant written, why) for a required column nothing was found for
FALLBACKS = {
    ("leads", "created_at"): (
        PLACEHOLDER,
        "no date column found; every lead needs one. Name yours (created_at = \"Created\") or give "
        "the day of the export (created_at = { value = \"2026-01-31\" }); until then the import "
        "refuses every lead",
    ),
    ("leads", "channel"): ("unknown", "no source or channel column found: every lead is 'unknown' "
                           "until you name yours (channel = \"Lead Source\")"),
    ("leads", "sourced_by"): ("marketing", "no source column found: every lead counts as sourced "
                              "by marketing until you say otherwise"),
    ("leads", "segment"): ("unknown", "no segment or employee-count column found: every lead is "
                           "'unknown' until you name yours"),
    ("leads", "region"): ("unknown", "no region or country column found: every lead is 'unknown' "
                          "until you name yours (region = \"Country\")"),
    ("deals", "deal_id"): (PLACEHOLDER, "no column looks like a deal id: name yours"),
    ("deals", "lead_id"): (PLACEHOLDER, "no column links a deal to its lead: name the column holding "
                           "its lead's id, or look it up (docs/import.md); until then no deal's lead "
                           "resolves"),
    ("deals", "created_at"): (PLACEHOLDER, "no date the deal was opened found: name yours"),
    ("deals", "stage"): ("open", "no stage column found: every deal is open until you name yours"),
    ("deals", "amount"): ("0", "no amount column found: every deal is worth 0 until you name yours"),
}  # fmt: skip


@functools.cache
def _preset_maps() -> dict[str, dict[str, str]]:
    """The value maps the presets' leads feeds know (folded value → code), by canonical column."""
    maps: dict[str, dict[str, str]] = {}
    for name in ("hubspot", "salesforce"):
        try:
            feeds = load_mapping(name).feeds.get("leads", ())
        except MappingError:
            continue
        for feed in feeds:
            for column, spec in feed.columns.items():
                maps.setdefault(column, {}).update(spec.value_map or {})
    return maps


def _with_map(spec: dict, profile: Profile, code: Callable[[str], str]) -> list[str]:
    """Add a map of every distinct value found to its code, if there are few enough to list."""
    if len(profile.distinct) > MAX_MAP_VALUES:
        return [
            f"unsure: more than {MAX_MAP_VALUES} distinct values, too many to list: "
            'add map = { "value" = "code" } for those to group'
        ]
    if profile.distinct:
        spec["map"] = {value: code(value) for value in profile.distinct}
    return []


def _channel(spec: dict, profile: Profile) -> list[str]:
    known = _preset_maps().get("channel", {})
    notes = _with_map(spec, profile, lambda v: known.get(fold(v), as_code(v)))
    spec["default"] = "unknown"
    return notes


def _sourced_by(spec: dict, profile: Profile) -> list[str]:
    known = {value for value, code in _preset_maps().get("sourced_by", {}).items() if code == "sales"}
    sales = {value: "sales" for value in profile.distinct if fold(value) in known | {"sales"}}
    spec.update({"map": sales} if sales else {}, other="marketing", default="marketing")
    but = " but those listed" if sales else ""
    return [f'unsure: every source counts as marketing{but}: map your sales-sourced ones to "sales"']


def _segment(spec: dict, profile: Profile) -> list[str]:
    notes = []
    if profile.numbers is not None:
        spec["bins"] = SEGMENT_BINS
    else:
        known = _preset_maps().get("segment", {})
        notes = _with_map(spec, profile, lambda v: known.get(fold(v)) or _segment_of(v))
    spec["default"] = "unknown"
    return notes


def _segment_of(value: str) -> str:
    """A size band as a segment: by its words, or its lowest number through SEGMENT_BINS."""
    if normalise(value) in SEGMENT_WORDS:
        return SEGMENT_WORDS[normalise(value)]
    low = re.match(r"\s*(\d[\d,]*)", value)
    if low is None:
        return as_code(value)
    number = float(low[1].replace(",", ""))
    return [label for bound, label in SEGMENT_BINS if number >= bound][-1]


def _region(spec: dict, profile: Profile) -> list[str]:
    known = _preset_maps().get("region", {})
    codes = {region.casefold(): region for region in REGIONS}
    notes = _with_map(spec, profile, lambda v: known.get(fold(v)) or codes.get(fold(v), v))
    kept = [
        value for value, region in spec.get("map", {}).items() if region == value and region not in REGIONS
    ]
    if kept:
        listed = ", ".join(kept[:5]) + (", …" if len(kept) > 5 else "")
        notes.append(f"unsure: {len(kept)} values the presets place in no region, kept as they are: {listed}")
    spec["default"] = "unknown"
    return notes


def _stage(spec: dict, profile: Profile) -> list[str]:
    notes = _with_map(spec, profile, stage_of)
    spec["other"] = "open"
    if not any(stage_of(value) != "open" for value in profile.distinct):
        notes.append('unsure: no value reads as won or lost: map yours to "won" and "lost"')
    return notes


def _amount(spec: dict, profile: Profile) -> list[str]:
    spec["default"] = "0"
    return []


def _score(spec: dict, profile: Profile) -> list[str]:
    numbers = profile.numbers
    if numbers is None or not ((numbers < 0) | (numbers > 100)).any():
        return []
    spec["clip"] = [0, 100]
    return [
        f"unsure: values from {numbers.min():g} to {numbers.max():g}; a score is 0–100, so they are clipped"
    ]


SHAPERS = {
    "channel": _channel,
    "sourced_by": _sourced_by,
    "segment": _segment,
    "region": _region,
    "stage": _stage,
    "amount": _amount,
    "score": _score,
}


def _entry(table: str, column: str, match: Match | None, date_formats: list[str]) -> Entry | None:
    """The spec of one canonical column (None: nothing found, and nothing to say)."""
    if match is None or match.profile is None:
        return _not_found(table, column, match.notes if match else [])
    profile = match.profile
    spec: dict = {"column": profile.header}
    if match.via:
        spec = {"column": match.via.column, "lookup": _lookup(match.via, profile)}
    notes = list(match.notes)
    if column in SHAPERS:
        notes += SHAPERS[column](spec, profile)
    if profile.dates:
        notes += _date_notes(spec, profile, date_formats)
    notes += _content_notes(table, column, match, spec)
    if (table, column) == ("deals", "lead_id") and not match.via and any(";" in v for v in profile.distinct):
        spec["split"] = ";"
        notes.append("several ids in one value (a;b): the first is the lead")
    return Entry(column, spec, notes)


def _lookup(via: Link, profile: Profile) -> dict:
    return {"source": via.source.name, "key": via.key, "value": profile.header}


def _not_found(table: str, column: str, notes: list[str]) -> Entry | None:
    if (table, column) in FALLBACKS:
        value, why = FALLBACKS[table, column]
        return Entry(column, {"value": value}, [*notes, f"TODO: {why}"])
    if (table, column) == ("leads", "lead_id"):
        todo = "TODO: no column looks like a lead id (a value in every row, each different): name yours"
        return Entry(column, None, [*notes, f"lead_id = {PLACEHOLDER}  # {todo}"])
    return Entry(column, None, notes) if notes else None


def _date_notes(spec: dict, profile: Profile, date_formats: list[str]) -> list[str]:
    """A `format` for a column read another way than the mapping's date_formats; a note if unsure."""
    fit = profile.dates
    if fit.family != "iso" and not set(fit.formats) <= set(date_formats):
        spec["format"] = list(fit.formats)
    if not fit.ambiguous:
        return []
    other = next(f for f in fit.fits if f != fit.family)
    return [
        f"unsure: every value in the first rows reads both {fit.family} and {other} (no day above 12): "
        f"read {fit.family}; if that is wrong, set format = {json.dumps(list(fit.fits[other]))}"
    ]


def _content_notes(table: str, column: str, match: Match, spec: dict) -> list[str]:
    """What the values say against the choice: a key that repeats, required values that are empty."""
    profile, notes = match.profile, []
    if match.via:
        return notes
    if column in CANONICAL[table].key and not profile.unique:
        notes.append(f"unsure: values of {profile.header!r} repeat; each {column} must be different")
    empty = profile.rows - profile.filled
    if CANONICAL[table].column(column).required and "default" not in spec and empty:
        notes.append(
            f"unsure: {empty:,} of {profile.rows:,} rows have no {profile.header!r}, and every "
            f'{table[:-1]} needs a {column}: add default = "…", or leave those rows out with '
            f"where = {{ column = {json.dumps(profile.header)}, not_empty = true }}"
        )
    return notes


def _derived(planned: Planned) -> dict[str, Match]:
    """The matches plus what follows from them: who sourced a lead from its channel, the company
    size from the column the segment is binned from."""
    matches = dict(planned.matches)
    channel, segment = matches.get("channel"), matches.get("segment")
    if planned.table == "leads" and channel and channel.profile and "sourced_by" not in matches:
        matches["sourced_by"] = Match(channel.profile, [], "name", channel.via)
    sized = segment and segment.profile and re.search(r"employ|size", segment.profile.words)
    if planned.table == "leads" and sized and not (matches.get("company_size") or Match(None)).profile:
        matches["company_size"] = Match(segment.profile, [], "given", segment.via)
    return matches


def _feed(planned: Planned, date_formats: list[str]) -> FeedDraft:
    table = CANONICAL[planned.table]
    matches = _derived(planned)
    entries, missing = [], []
    for column in table.columns:
        entry = _entry(planned.table, column.name, matches.get(column.name), date_formats)
        if entry:
            entries.append(entry)
        elif column.references in (None, "people"):  # campaigns are not drafted
            missing.append(column.name)
    specs = {e.column: e.spec for e in entries if e.spec}
    closed, stage = specs.get("closed_at"), specs.get("stage", {})
    closing = [value for value, code in stage.get("map", {}).items() if code != "open"]
    if closed and "column" in closed and "lookup" not in closed and closing:
        closed["when"] = {"column": stage["column"], "in": closing}  # an open deal's date is a forecast
    return FeedDraft(planned.table, planned.src.name, entries, planned.notes, missing=missing)


def _people(planned: Planned) -> FeedDraft | None:
    """The owners of a feed's rows as people, one a distinct owner."""
    owner = planned.matches.get("owner_id")
    if not owner or not owner.profile or owner.via:
        return None
    header, role = owner.profile.header, "sdr" if planned.table == "leads" else "ae"
    note = f"unsure: every {planned.table[:-1]} owner is taken as a sales {role.upper()}: set team and role"
    entries = [
        Entry("person_id", {"column": header}),
        Entry("name", {"column": header}),
        Entry("team", {"value": "sales"}, [note]),
        Entry("role", {"value": role}),
    ]
    where = {"column": header, "not_empty": True}
    notes = [f"The owners named in {planned.src.path.name} become people, one a distinct {header!r}."]
    return FeedDraft("people", planned.src.name, entries, notes, distinct=True, where=where)


def _date_formats(planned: list[Planned]) -> list[str]:
    """The mapping's date_formats: those of the commonest order of day and month, and ISO if found."""
    fits = [m.profile.dates for p in planned for m in p.matches.values() if m.profile and m.profile.dates]
    families = Counter(fit.family for fit in fits)
    orders = [family for family, _ in families.most_common() if family != "iso"]
    if not orders:
        return ["iso"]
    used = {fmt for fit in fits if fit.family == orders[0] for fmt in fit.formats}
    return [f for f in DATE_FAMILIES[orders[0]] if f in used] + (["iso"] if "iso" in families else [])


# ---------------------------------------------------------------------------------------------
# The draft and its TOML text


@dataclass
class Draft:
    """A drafted mapping: its feeds, the TOML `text`, and `notes` for the person who asked."""

    files: list[SourceFile]
    feeds: list[FeedDraft]
    date_formats: list[str]
    unused: list[SourceFile]
    text: str = ""
    notes: list[str] = field(default_factory=list)

    def count(self, word: str) -> int:
        """How many comments of the draft start with `word` (unsure, TODO)."""
        notes = [n for f in self.feeds for n in [*f.notes, *(m for e in f.entries for m in e.notes)]]
        return sum(1 for note in notes if note.startswith(word) or f"# {word}" in note)

    def summary(self) -> str:
        """One line: the tables drafted, from which files, and how much is left to check."""
        names = {f.name: f.path.name for f in self.files}
        tables = ", ".join(f"{f.table} from {names[f.source]}" for f in self.feeds)
        return f"drafted {tables}; {counted(self.count('unsure'), 'unsure line')}, {self.count('TODO')} TODO"


def draft_mapping(paths: Sequence[str | Path]) -> Draft:
    """A starting mapping for these files, from their headers and first rows."""
    paths = [Path(p) for p in paths]
    if not paths:
        raise ImportFileError("no files: name at least one CSV or Parquet export")
    for path in paths:
        if not path.is_file():
            raise ImportFileError(f"{path}: no such file")
    files = [profile_file(path, name) for path, name in zip(paths, source_names(paths))]
    planned, _ = plan_tables(files)
    date_formats = _date_formats(planned)
    people = [feed for feed in map(_people, planned) if feed]
    feeds = sorted(
        people + [_feed(p, date_formats) for p in planned], key=lambda f: TABLE_ORDER.index(f.table)
    )
    used = {p.src.name for p in planned} | {
        m.via.source.name for p in planned for m in p.matches.values() if m.via
    }
    draft = Draft(files, feeds, date_formats, [f for f in files if f.name not in used])
    draft.text = render(draft)
    draft.notes = _notes(draft, planned)
    return draft


def _notes(draft: Draft, planned: list[Planned]) -> list[str]:
    leads = next(p for p in planned if p.table == "leads")
    notes = [] if (leads.matches.get("lead_id") or Match(None)).profile else [
        f"no column of {leads.src.path.name} looks like a lead id, so the draft does not load until you "
        "name one (lead_id in [tables.leads])"
    ]  # fmt: skip
    notes += [
        f"no table reads {f.path.name}: its [sources.{f.name}] is left commented out" for f in draft.unused
    ]
    notes += [
        f"these files look like {preset} exports: --mapping {preset} reads them as they are; this draft "
        "only starts a mapping of your own"
        for preset in _fitting_presets(draft.files)
    ]
    try:
        parse_mapping(draft.text, name="draft")
    except MappingError as exc:
        notes += [] if notes and not leads.matches.get("lead_id") else [f"the draft does not load yet: {exc}"]
    return notes


def _fitting_presets(files: list[SourceFile]) -> list[str]:
    """The CRM presets every one of the files is an export of, by its name and the columns it has."""
    fitting = []
    for preset in ("hubspot", "salesforce", "olist"):
        mapping = load_mapping(preset)
        if all(_fits_preset(f, mapping) for f in files):
            fitting.append(preset)
    return fitting


def _fits_preset(file: SourceFile, mapping) -> bool:
    name = file.path.name.casefold()
    header = {p.header.casefold() for p in file.columns}
    return any(
        any(fnmatch.fnmatch(name, pattern.casefold()) for pattern in source.files)
        and {c.casefold() for c in mapping.columns_used(source_name)} <= header
        for source_name, source in mapping.sources.items()
    )


def write_draft(draft: Draft, out: str | Path, *, force: bool = False) -> Path:
    """Save the draft's text to `out`, refusing to replace a file there unless `force`."""
    target = Path(out)
    if target.exists() and not force:
        raise DraftError(f"{target} exists already: pass --force to replace it, or choose another --out")
    with replacing_file(target) as partial:
        partial.write_text(draft.text, encoding="utf-8")
    return target


def _string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's (DEL, which JSON leaves, escaped too)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value, quoted_keys: bool = False) -> str:
    """A value as TOML: text, true/false, a number, a list or an inline table."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_value, value)) + "]"
    pairs = [f"{_string(k) if quoted_keys else k} = {_value(v, k == 'map')}" for k, v in value.items()]
    return "{ " + ", ".join(pairs) + " }"


def _comments(notes: Sequence[str]) -> list[str]:
    lines = []
    for note in notes:
        wrapped = textwrap.wrap(note.replace("\n", " "), 100, break_on_hyphens=False) or [""]
        lines += [f"# {wrapped[0]}", *(f"#   {line}" for line in wrapped[1:])]
    return lines


def render(draft: Draft) -> str:
    """The draft as a mapping file."""
    names = [f.path.name for f in draft.files]
    lines = _comments(
        [
            f"Drafted by `python -m handoff mapping init` from {', '.join(names)}: their headers and "
            f"values (date formats from the first {SAMPLE_ROWS:,} rows). Lines marked unsure are "
            "guesses; TODO lines need you.",
            "Check it against the files (nothing is written): python -m handoff mapping check --mapping "
            f"THIS_FILE {' '.join(str(f.path) for f in draft.files if f not in draft.unused)}",
        ]
    )
    lines += [
        f"description = {_string('Drafted from ' + ', '.join(names))}",
        f"date_formats = {_value(draft.date_formats)}  # tried in turn; iso = ISO 8601",
        'timezone = "UTC"  # times without an offset are read in this zone: set yours, e.g. "Europe/London"',
    ]
    leads_sources = {f.source for f in draft.feeds if f.table == "leads"}
    for src in draft.files:
        lines += _source_lines(src, src.name in leads_sources, src in draft.unused)
    several = Counter(feed.table for feed in draft.feeds)
    for feed in draft.feeds:
        lines += _feed_lines(feed, several[feed.table] > 1)
    return "\n".join(lines) + "\n"


def _source_lines(src: SourceFile, required: bool, unused: bool) -> list[str]:
    about = f"{src.path.name}: {counted(src.rows, 'row')}, {counted(len(src.columns), 'column')}"
    lines = [f"[sources.{src.name}]", f"files = {_value([src.pattern])}"]
    lines += ["required = true"] if required else []
    lines += ["stop_at_blank_row = true  # a blank row, then a footer that is not data"] if src.footer else []
    if not unused:
        return ["", f"# {about}", *lines]
    why = f"{about}. No table reads it, so it is left out; name it in a lookup, or leave it out of the import"
    return ["", *_comments([why]), *(f"# {line}" for line in lines)]


def _feed_lines(feed: FeedDraft, several: bool) -> list[str]:
    at = f"tables.{feed.table}"
    lines = [
        "",
        *_comments(feed.notes),
        f"[[{at}]]" if several else f"[{at}]",
        f"from = {_string(feed.source)}",
    ]
    lines += ["distinct = true"] if feed.distinct else []
    lines += [f"where = {_value(feed.where)}"] if feed.where else []
    lines.append(f"[{at}.columns]")
    tables: list[str] = []
    for entry in feed.entries:
        spec, comments = entry.spec, _comments(entry.notes)
        if spec is None:
            lines += comments
        elif len(spec.get("map", {})) > INLINE_MAP_VALUES:
            settings = [f"{key} = {_value(value)}" for key, value in spec.items() if key != "map"]
            values = [f"{_string(key)} = {_string(code)}" for key, code in spec["map"].items()]
            tables += [
                "",
                *comments,
                f"[{at}.columns.{entry.column}]",
                *settings,
                f"[{at}.columns.{entry.column}.map]",
                *values,
            ]
        else:
            short = spec["column"] if list(spec) == ["column"] else spec
            lines += [*comments, f"{entry.column} = {_value(short)}"]
    lines += _comments([f"not found (optional): {', '.join(feed.missing)}"]) if feed.missing else []
    return lines + tables
