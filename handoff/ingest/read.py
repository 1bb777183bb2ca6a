"""Reading files: CSV in any common encoding and delimiter, or Parquet, as text columns.

Memory stays bounded by the file's size: a row budget for all files of an import (`RowBudget`), a
CSV read in blocks by pyarrow, a Parquet file checked against its size before a row is decoded.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from handoff.errors import HandoffError
from handoff.ingest.mapping import Source
from handoff.ingest.report import DELIMITER_NAMES, Collector, FileRead, first_line

SNIFF_BYTES = 1 << 16  # the header row must end within this many bytes
CSV_BLOCK_BYTES = 1 << 22  # pyarrow reads CSV in blocks of this size; a row must fit in one
# How far a Parquet file may expand when read, so an import's memory grows with a file's size and
# never with how well it compresses: a CSV holds at most one value a byte; a Parquet file may hold
# 4 (real CRM exports hold under 1.1), and any file the first million values.
PARQUET_VALUES_PER_BYTE = 4
PARQUET_VALUES_FLOOR = 1_000_000
# ... and the text it decodes to: 32 bytes a byte of file (real exports: 3–8), 64 MB for any file.
PARQUET_TEXT_PER_BYTE = 32
PARQUET_TEXT_FLOOR = 64 << 20
PARQUET_BATCH_ROWS = 65_536
DELIMITERS = (",", ";", "\t", "|")


class ImportFileError(HandoffError):
    """A file cannot be read at all (empty, binary, unknown encoding, broken quoting…)."""


@dataclass
class RowBudget:
    """The rows one import may read, all files together (`limit` None: no limit)."""

    limit: int | None = None
    how_to_raise: str = "--max-rows"  # what the person can change, named in the refusal
    used: int = 0

    def check(self, name: str, rows: int, *, so_far: bool = False) -> None:
        """Refuse, naming the file, its rows and the limit, if `rows` more would go over it."""
        if self.limit is None or self.used + rows <= self.limit:
            return
        counted = f"{'at least ' if so_far else ''}{rows:,} rows"
        before = f" ({self.used + rows:,} with the files before it)" if self.used else ""
        raise ImportFileError(
            f"{name} has {counted}{before}: over the limit of {self.limit:,} rows an "
            f"import may read ({self.how_to_raise}); nothing was read further"
        )

    def add(self, rows: int) -> None:
        """Count a file's rows as read."""
        self.used += rows


@dataclass
class Sniffed:
    """What the first bytes of a file say: its format, encoding, delimiter and header."""

    path: Path
    kind: str  # csv or parquet
    encoding: str = "utf-8"
    delimiter: str = ","
    header: list[str] = field(default_factory=list)


def sniff(path: Path, source: Source | None = None) -> Sniffed:
    """Open `path` and work out how to read it; raise ImportFileError if it cannot be read."""
    name = path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise ImportFileError(f"{name}: cannot open the file ({exc.strerror})") from None
    if size == 0:
        raise ImportFileError(f"{name} is empty (0 bytes): export it again, with a header row")
    if head.startswith(b"PAR1") or path.suffix.lower() in (".parquet", ".pq"):
        return _sniff_parquet(path)
    if head.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            f"{name} is a zip or Excel workbook, not a CSV file: save or export it as CSV (UTF-8)"
        )
    encoding = _detect_encoding(path, head, source.encoding if source else "auto")
    text = head.decode(encoding.replace("-sig", ""), errors="replace").lstrip("\ufeff")
    if len(head) == SNIFF_BYTES and "\n" not in text:
        columns = max(text.count(d) for d in DELIMITERS) + 1
        raise ImportFileError(
            f"{name}: its header row is longer than {SNIFF_BYTES // 1024} KB (over {columns:,} columns): "
            "not an export Handoff can read; export only the columns the mapping needs"
        )
    if len(head) == SNIFF_BYTES:  # drop the last, probably partial, line
        text = text[: text.rfind("\n") + 1]
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n")
    if "\x00" in text or controls > max(2, len(text) // 200):
        raise ImportFileError(f"{name} is not a text file (it holds binary data): export CSV or Parquet")
    if not text.strip():
        raise ImportFileError(f"{name} has no header row: the file is blank")
    wanted = source.delimiter if source else "auto"
    delimiter = wanted if wanted != "auto" else _detect_delimiter(text)
    first = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    header = _unique_names([h.strip() for h in first])
    if not any(header):
        raise ImportFileError(f"{name} has no header row: its first line is empty")
    return Sniffed(path, "csv", encoding, delimiter, header)


def _sniff_parquet(path: Path) -> Sniffed:
    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise ImportFileError(f"{path.name} is not a readable Parquet file ({first_line(exc)})") from None
    return Sniffed(path, "parquet", "parquet", "", _unique_names(list(schema.names)))


def _detect_encoding(path: Path, head: bytes, declared: str) -> str:
    """The file's encoding: the mapping's if it says, else from a BOM, else UTF-8, CP1252, Latin-1."""
    if declared != "auto":
        _check_decodes(path, declared, declared=True)
        return declared
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        sample = head[:4096]
        if sample[1::2].count(0) > 0.9 * len(sample[1::2]):
            return "utf-16-le"
        if sample[0::2].count(0) > 0.9 * len(sample[0::2]):
            return "utf-16-be"
        raise ImportFileError(f"{path.name} is not a text file (it holds binary data): export CSV or Parquet")
    for encoding in ("utf-8", "cp1252"):
        if _check_decodes(path, encoding, declared=False):
            return encoding
    return "latin-1"


def _check_decodes(path: Path, encoding: str, declared: bool) -> bool:
    """Decode the whole file (C speed); False, or an ImportFileError if the mapping declared it."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                if not declared:
                    return False
                position = offset + exc.start
                raise ImportFileError(
                    f"{path.name} is not valid {encoding}: byte 0x{chunk[exc.start]:02X} "
                    f"at position {position:,} "
                    f'(the mapping says encoding = {encoding!r}; try "auto" or cp1252)'
                ) from None
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            if declared:
                raise ImportFileError(f"{path.name} ends in the middle of a {encoding} character") from None
            return False
    return True


def _detect_delimiter(text: str) -> str:
    """The candidate that splits the first lines into the same number (>1) of fields most often."""
    lines = text.splitlines()[:50]
    sample = "\n".join(lines)
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(len(r) == width for r in rows) / len(rows)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for index, name in enumerate(names):
        name = name or f"column {index + 1}"
        key = name.casefold()
        seen[key] = seen.get(key, 0) + 1
        unique.append(name if seen[key] == 1 else f"{name} ({seen[key]})")
    return unique


def read_file(
    sniffed: Sniffed,
    source: Source,
    collector: Collector,
    progress: Callable[[float], None],
    columns: Sequence[str] | None = None,
    budget: RowBudget | None = None,
) -> tuple[pd.DataFrame, FileRead]:
    """All rows of one file as text columns ('' for empty) plus `_file` and `_row`.

    Rows are numbered as a spreadsheet shows them (the header is row 1). Rows with more or fewer
    fields than the header are reported (a row cut off midway) and left out. A Parquet file is read
    in batches and only its `columns` (header names; None: all). A file that would take the import
    over `budget`'s rows is refused (ImportFileError), a Parquet file from its metadata before reading.
    """
    budget = budget or RowBudget()
    if sniffed.kind == "parquet":
        frame = _read_parquet(sniffed, progress, columns, budget)
        info = FileRead(sniffed.path.name, source.name, len(frame), "parquet", "")
    else:
        frame, info = _read_csv(sniffed, source, collector, progress, budget)
    budget.add(len(frame))
    frame.insert(0, "_file", sniffed.path.name)
    return frame, info


def _read_csv(sniffed, source, collector, progress, budget: RowBudget) -> tuple[pd.DataFrame, FileRead]:
    encoding = sniffed.encoding
    if encoding in ("utf-8", "utf-8-sig"):
        _check_quotes(sniffed)
        return _read_utf8_csv(sniffed, sniffed.path, source, collector, progress, budget)
    # pyarrow would transcode by calling Python's codec from its reader thread, which crashes or hangs
    # the interpreter at exit when the read fails; a UTF-8 copy keeps every byte on pyarrow's side.
    with tempfile.TemporaryDirectory(prefix="handoff-import-") as folder:
        copy = Path(folder) / "utf-8.csv"
        _check_quotes(sniffed, utf8_copy=copy)
        return _read_utf8_csv(sniffed, copy, source, collector, progress, budget)


def _read_utf8_csv(sniffed, path: Path, source, collector, progress, budget) -> tuple[pd.DataFrame, FileRead]:
    """Read the UTF-8 text at `path` (the file itself, or a UTF-8 copy of it) as `sniffed` describes."""
    invalid: list[tuple[int, int, int, str]] = []  # (record number, fields expected, fields found, text)
    frame = _csv_records(sniffed, path, invalid, progress, budget)
    # pyarrow numbers every record (the header is 1); valid rows take the numbers the bad ones left.
    bad_numbers = np.array(sorted(n for n, *_ in invalid), dtype=np.int64)
    all_numbers = np.arange(2, len(frame) + len(invalid) + 2, dtype=np.int64)
    frame.insert(0, "_row", np.setdiff1d(all_numbers, bad_numbers, assume_unique=True)[: len(frame)])
    frame, invalid, blank_count, footer = _without_blank_rows(frame, invalid, sniffed.header, source)
    if invalid:
        _report_malformed(sniffed, invalid, collector)
    info = FileRead(
        sniffed.path.name,
        source.name,
        len(frame),
        _encoding_label(sniffed.encoding),
        sniffed.delimiter,
        blank_count,
        footer,
    )
    return frame, info


def _csv_records(sniffed: Sniffed, path: Path, invalid: list, progress, budget: RowBudget) -> pd.DataFrame:
    """Every record of the CSV text at `path` as text columns, read by pyarrow a block at a time;
    records with more or fewer fields than the header are left out and noted in `invalid`."""
    name = sniffed.path.name
    size = max(path.stat().st_size, 1)

    def on_invalid(row) -> str:
        invalid.append((row.number or 0, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    batches = []
    try:
        # pyarrow's own file and a closed reader: no Python object is left for its threads at exit.
        with pa.OSFile(str(path)) as raw, pacsv.open_csv(raw, **_csv_options(sniffed, on_invalid)) as reader:
            schema = reader.schema
            rows = 0
            for batch in reader:
                rows += batch.num_rows
                budget.check(name, rows, so_far=True)  # stop reading as soon as the file is over the limit
                batches.append(batch)
                progress(min(len(batches) * CSV_BLOCK_BYTES / size, 1.0))  # a batch is about one block
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{name} cannot be read as CSV: {_csv_reason(exc)}") from None
    table = pa.Table.from_batches(batches, schema=schema) if batches else None
    frame = (
        table.to_pandas()
        if table is not None
        else pd.DataFrame({c: pd.Series(dtype="str") for c in sniffed.header})
    )
    frame.columns = sniffed.header
    return frame


def _csv_options(sniffed: Sniffed, on_invalid) -> dict:
    """pyarrow's options for reading the file: every value text, as written ('' for empty), quoted
    values with delimiters, quotes and line breaks inside, no row dropped before it is counted."""
    return {
        "read_options": pacsv.ReadOptions(
            use_threads=False,
            block_size=CSV_BLOCK_BYTES,
            column_names=sniffed.header,
            skip_rows=1,
            encoding="utf8",
        ),
        "parse_options": pacsv.ParseOptions(
            delimiter=sniffed.delimiter,
            quote_char='"',
            double_quote=True,
            newlines_in_values=True,
            ignore_empty_lines=False,
            invalid_row_handler=on_invalid,
        ),
        "convert_options": pacsv.ConvertOptions(
            column_types={c: pa.string() for c in sniffed.header},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }


def _without_blank_rows(frame: pd.DataFrame, invalid: list, header: list[str], source: Source):
    """`frame` without blank rows (and, if the source stops at a blank row, without what follows the
    first): (frame, the invalid records left, blank rows skipped, footer rows skipped)."""
    # Blank lines come through as rows of empty values, a lone "" line (Salesforce footers) as a bad row.
    frame[header] = frame[header].fillna("")
    blank_rows = set(frame.loc[(frame[header] == "").all(axis=1), "_row"].tolist())
    blank_rows |= {n for n, _, actual, text in invalid if actual == 1 and text.strip() in ("", '""')}
    invalid = [i for i in invalid if i[0] not in blank_rows]
    footer = 0
    if source.stop_at_blank_row and blank_rows:
        first_blank = min(blank_rows)
        footer = int((frame["_row"] > first_blank).sum()) + sum(1 for i in invalid if i[0] > first_blank)
        footer += sum(1 for n in blank_rows if n > first_blank)
        invalid = [i for i in invalid if i[0] < first_blank]
        blank_rows = {first_blank}
        frame = frame.loc[frame["_row"] < first_blank]
    blank_count = len(blank_rows) if not source.stop_at_blank_row else 0
    frame = frame.loc[~frame["_row"].isin(blank_rows)].reset_index(drop=True)
    return frame, invalid, blank_count, footer


def _report_malformed(sniffed: Sniffed, invalid: list, collector: Collector) -> None:
    """Rows with more or fewer fields than the header: cut off, or a delimiter in an unquoted value."""
    rows = pd.DataFrame(
        {
            "file": sniffed.path.name,
            "row": [n for n, *_ in invalid],
            "column": None,
            "value": [f"{actual} fields: {text[:120]}" for _, _, actual, text in invalid],
        }
    )
    width = len(sniffed.header)
    collector.add(
        "malformed_row",
        None,
        None,
        f"{width} fields like the header (a row cut off, or a "
        f"{DELIMITER_NAMES[sniffed.delimiter]} inside an unquoted value)",
        rows,
    )


def _csv_reason(exc: BaseException) -> str:
    """pyarrow's reason a CSV cannot be read, in the words of the person who exported it."""
    reason = first_line(exc)
    if "straddling" in reason or "larger than block size" in reason:
        return (
            f"a row is longer than {CSV_BLOCK_BYTES // (1 << 20)} MB "
            "(a value that never ends, or not a CRM export)"
        )
    return reason


def _check_quotes(sniffed: Sniffed, utf8_copy: Path | None = None) -> None:
    """An odd number of quote characters means a quoted value never closes: the file is cut off.

    With `utf8_copy`, the text is also written there as UTF-8 (one pass for both).
    """
    decoder = codecs.getincrementaldecoder(sniffed.encoding)("replace")
    quotes = 0
    with (
        sniffed.path.open("rb") as handle,
        utf8_copy.open("w", encoding="utf-8", newline="") if utf8_copy else contextlib.nullcontext() as copy,
    ):
        while chunk := handle.read(1 << 22):
            text = decoder.decode(chunk)
            quotes += text.count('"')
            if copy is not None:
                copy.write(text)
        if copy is not None:
            copy.write(decoder.decode(b"", final=True))
    if quotes % 2:
        raise ImportFileError(
            f"{sniffed.path.name} has a quoted value that never closes: the last row is cut off midway, or a "
            "value holds a stray double quote"
        )


def _read_parquet(
    sniffed: Sniffed, progress, columns: Sequence[str] | None, budget: RowBudget
) -> pd.DataFrame:
    """The `columns` of a Parquet file as text, read in batches once its metadata says it fits.

    Its rows are checked against `budget`, its values and its uncompressed size against its size
    on disk (PARQUET_VALUES_PER_BYTE, PARQUET_TEXT_PER_BYTE), before a row is decoded; the text
    decoded is counted as it streams, so a file that compresses extremely well is refused early.
    """
    name = sniffed.path.name
    wanted = set(sniffed.header if columns is None else columns)
    positions = [i for i, header in enumerate(sniffed.header) if header in wanted]
    headers = [sniffed.header[i] for i in positions]
    try:
        parquet = pq.ParquetFile(sniffed.path)
        metadata, schema = parquet.metadata, parquet.schema_arrow
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise ImportFileError(f"{name} is not a readable Parquet file ({first_line(exc)})") from None
    fields = [schema.field(i) for i in positions]
    for header, field_ in zip(headers, fields, strict=True):
        _parquet_text(pa.array([], type=field_.type), name, header)  # refuse a type it cannot import now
    rows, size = metadata.num_rows, max(sniffed.path.stat().st_size, 1)
    budget.check(name, rows)
    text_limit = _check_parquet_size(name, metadata, fields, rows, size)
    stream = _ParquetStream(sniffed.path, name, size, text_limit, budget, progress)
    try:
        chunks, read_rows = stream.read(schema, fields, positions, headers, rows) if positions else ([], rows)
    except HandoffError:
        raise
    except Exception as exc:
        raise ImportFileError(f"{name} is not a readable Parquet file ({first_line(exc)})") from None
    frame = pd.DataFrame(
        {
            header: pa.chunked_array(parts, type=pa.string()).to_pandas() if parts else pd.Series(dtype="str")
            for header, parts in zip(headers, chunks, strict=True)
        },
        columns=headers,
        index=pd.RangeIndex(read_rows),
    )
    frame.insert(0, "_row", np.arange(2, read_rows + 2, dtype=np.int64))
    return frame


def _check_parquet_size(name: str, metadata, fields: list, rows: int, size: int) -> int:
    """Refuse a file whose values or uncompressed size are out of proportion to its size on disk;
    return the most text its columns may decode to."""
    values = rows * len(fields)
    if values > max(PARQUET_VALUES_FLOOR, PARQUET_VALUES_PER_BYTE * size):
        raise ImportFileError(
            f"{name} holds {rows:,} rows × {len(fields)} columns in {_bytes(size)}, "
            f"{values / size:,.0f} values a byte: an import reads at most {PARQUET_VALUES_PER_BYTE} values "
            "a byte of Parquet (a CSV holds at most 1); nothing was read — export it as CSV, or in "
            "several files"
        )
    read_names = {field_.name for field_ in fields}
    uncompressed = sum(
        chunk.total_uncompressed_size
        for group in range(metadata.num_row_groups)
        for chunk in (metadata.row_group(group).column(c) for c in range(metadata.num_columns))
        if chunk.path_in_schema.split(".")[0] in read_names
    )
    text_limit = max(PARQUET_TEXT_FLOOR, PARQUET_TEXT_PER_BYTE * size)
    if uncompressed > text_limit:
        raise ImportFileError(
            f"{name} expands from {_bytes(size)} to {_bytes(uncompressed)} when read "
            f"({uncompressed / size:,.0f}×): an import reads at most {PARQUET_TEXT_PER_BYTE}× a Parquet "
            "file's size; nothing was read — export it as CSV"
        )
    return text_limit


@dataclass
class _ParquetStream:
    """Reads a Parquet file's columns batch by batch, counting rows against the budget and the text
    decoded against `text_limit`."""

    path: Path
    name: str
    size: int
    text_limit: int
    budget: RowBudget
    progress: Callable[[float], None]

    def read(self, schema, fields: list, positions: list[int], headers: list[str], rows: int):
        """(text chunks per column, rows read)."""
        unique_names = len(set(schema.names)) == len(schema.names)
        chunks: list[list] = [[] for _ in positions]
        read_rows = text_bytes = 0
        # Text comes as dictionaries (a value and where it repeats), measured before it is decoded.
        texts = [f.name for f in fields if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
        streamed = pq.ParquetFile(self.path, read_dictionary=texts if unique_names else None)
        batches = streamed.iter_batches(
            batch_size=PARQUET_BATCH_ROWS,
            use_threads=False,
            columns=[f.name for f in fields] if unique_names else None,  # duplicate names: pick by place
        )
        for batch in batches:
            read_rows += batch.num_rows
            self.budget.check(self.name, read_rows, so_far=True)  # the metadata may undercount
            picked = batch.columns if unique_names else [batch.column(i) for i in positions]
            text_bytes += sum(_text_bytes(column) for column in picked)
            if text_bytes > self.text_limit:
                raise ImportFileError(
                    f"{self.name} decodes to more than {_bytes(self.text_limit)} of text from "
                    f"{_bytes(self.size)} on disk (in its first {read_rows:,} rows): an import reads at most "
                    f"{PARQUET_TEXT_PER_BYTE}× a Parquet file's size; nothing was imported — export it as CSV"
                )
            for chunk_list, header, column in zip(chunks, headers, picked, strict=True):
                chunk_list.append(_parquet_text(column, self.name, header))
            self.progress(read_rows / max(rows, 1))
        return chunks, read_rows


def _text_bytes(column) -> int:
    """About the bytes `column` takes as text; a dictionary column is measured without decoding it."""
    if pa.types.is_dictionary(column.type):
        lengths = pc.take(pc.binary_length(column.dictionary), column.indices)
        return int(pc.sum(lengths).as_py() or 0) + 4 * len(column)  # the text, and an offset a value
    return column.nbytes


def _parquet_text(column, file_name: str, header: str):
    """One Parquet column as text ('' for null): timestamps with a zone in UTC, `…Z`."""
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        column = pc.cast(column, pa.timestamp(column.type.unit, "UTC"))
        text = pc.binary_join_element_wise(
            pc.cast(pc.cast(column, pa.timestamp(column.type.unit)), pa.string()), "Z", ""
        )
    elif pa.types.is_string(column.type):
        text = column
    else:
        try:
            text = pc.cast(column, pa.string())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            raise ImportFileError(
                f"{file_name}: column {header!r} has type {column.type}, which "
                "cannot be imported; store it as text, a number or a timestamp"
            ) from None
    return pc.fill_null(text, "")


def _bytes(size: int) -> str:
    """A file size for people: 43 KB, 2.7 GB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}".replace(".0 ", " ")
    return f"{size:,} bytes"


def _encoding_label(encoding: str) -> str:
    return {
        "utf-8-sig": "UTF-8 with BOM",
        "utf-8": "UTF-8",
        "cp1252": "Windows-1252",
        "latin-1": "Latin-1",
        "utf-16": "UTF-16",
        "utf-16-le": "UTF-16 LE",
        "utf-16-be": "UTF-16 BE",
        "utf-32": "UTF-32",
    }.get(encoding, encoding)
