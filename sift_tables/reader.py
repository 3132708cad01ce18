"""Reading an uploaded table with every row accounted for.

A well-formed UTF-8 file takes the vectorised path (pyarrow); anything else falls back
to the lenient reader, which keeps every physical record: extra fields join the last
column, missing ones are left empty, and a quote that never closes yields one row per
physical line - each repair named in a warning with its line number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from sift_tables.decode import decode
from sift_tables.errors import TableError
from sift_tables.headers import match_columns, normalize_header
from sift_tables.limits import Limits, check_column_limit, check_row_limit
from sift_tables.stream import UNCLOSED, fit, records

DELIMITERS = (",", "\t", ";", "|")
_FAST_MAX_COLUMNS = 256  # wider frames build faster as one object block


@dataclass
class Table:
    """The rows read (`frame`, wanted columns renamed to their canonical names)."""

    frame: pd.DataFrame
    encoding: str
    delimiter: str
    warnings: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # header as sent -> wanted name

    @property
    def rows(self) -> int:
        return len(self.frame)


def read_table(data: bytes, required: Sequence[str], optional: Iterable[str] = (),
               limits: Limits | None = None) -> Table:
    """Parse an uploaded CSV (any common delimiter/encoding) holding the `required` columns.

    Raises `TableError` (413/415/422) with a message that says what to fix.
    """
    limits = limits or Limits()
    if not data.strip():
        raise TableError(f"The file is empty. Send a CSV whose header row is: "
                         f"{','.join(required)}.")
    text, encoding, warnings = decode(data)
    delimiter = pick_delimiter(text[:65536], required)
    header = _header(text, delimiter)
    if not any(cell.strip() for cell in header):
        raise TableError(f"The file has no header row. Start it with: {','.join(required)}.")
    check_column_limit(len(header), limits.max_columns)
    mapping = match_columns(header, required, optional)
    columns = _unique(header)
    frame = None
    if encoding == "utf-8" and len(columns) <= _FAST_MAX_COLUMNS and data.count(b'"') % 2 == 0:
        frame = _read_fast(data, delimiter, columns)
    if frame is None:
        frame = _read_lenient(text, delimiter, columns, warnings)
    check_row_limit(len(frame), limits.max_rows)
    if frame.empty:
        raise TableError(f"The file has a header ({', '.join(header[:20])}) but no data rows.")
    frame = frame.rename(columns=mapping)
    if delimiter != ",":
        warnings.append(f"delimiter {delimiter!r} detected")
    return Table(frame, encoding, delimiter, warnings, dict(mapping))


def pick_delimiter(sample: str, required: Sequence[str] = ()) -> str:
    """The delimiter that splits the header into the required columns, else a sniffed one."""
    first = sample.split("\n", 1)[0].split("\r", 1)[0]
    wanted = {normalize_header(r) for r in required}
    if wanted:
        for candidate in DELIMITERS:
            fields = next(csv.reader([first], delimiter=candidate), [])
            if wanted <= {normalize_header(f) for f in fields}:
                return candidate
    try:
        return csv.Sniffer().sniff(sample[:20000], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return ","


def _header(text: str, delimiter: str) -> list[str]:
    first = next(records(io.StringIO(text[: 1 << 22], newline=""), delimiter), None)
    return [cell.strip() for cell in first.fields] if first is not None else []


def _unique(header: list[str]) -> list[str]:
    """Exact repeats of columns nobody asked for get `.1`, `.2` (as pandas names them)."""
    seen: dict[str, int] = {}
    out = []
    for name in header:
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if count == 0 else f"{name}.{count}")
    return out


def _read_fast(data: bytes, delimiter: str, columns: list[str]) -> pd.DataFrame | None:
    """Vectorised read of a regular file; None when any row needs the lenient reader."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(column_names=columns, skip_rows=1,
                                           block_size=max(1 << 20, min(len(body), 1 << 26))),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=False,
                quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
        return None
    if _header_not_first_line(body) or _last_row_spans_lines(table):
        return None
    return table.to_pandas()


def _last_row_spans_lines(table: object) -> bool:
    """A quote that never closes swallows the rest of the file into the last row."""
    last = table.slice(table.num_rows - 1) if table.num_rows else None  # type: ignore[attr-defined]
    if last is None:
        return False
    return any("\n" in cell or "\r" in cell
               for cell in (column[0].as_py() for column in last.columns))


def _header_not_first_line(body: bytes) -> bool:
    """Blank lines before the header, or a header cell spanning lines: leave it to csv."""
    return body[:1] in (b"\n", b"\r", b" ", b"\t")


def _read_lenient(text: str, delimiter: str, columns: list[str],
                  warnings: list[str]) -> pd.DataFrame:
    """Every record kept and fitted to the header; each kind of repair named once."""
    width = len(columns)
    rows: list[list[str]] = []
    repaired: dict[str, list[int]] = {"too many": [], "missing": []}
    unclosed = None
    stream = records(io.StringIO(text, newline=""), delimiter)
    next(stream, None)  # the header
    for record in stream:
        if record.issue and record.issue.startswith("unreadable"):
            raise TableError(f"Line {record.line}: {record.issue}. Check the quoting there.")
        if record.issue and UNCLOSED in record.issue:
            unclosed = record.line
        values, change = fit(record.fields, width, delimiter)
        if change:
            repaired["too many" if change.startswith("too many") else "missing"].append(
                record.line)
        rows.append(values)
    if unclosed is not None:
        warnings.append(f"line {unclosed} {UNCLOSED}; it and every line after it were read "
                        "as one row each")
    if repaired["too many"]:
        lines = repaired["too many"]
        warnings.append(f"{len(lines)} row(s) had more fields than the header (first at line "
                        f"{lines[0]}); the extra fields were joined into the last column")
    if repaired["missing"]:
        lines = repaired["missing"]
        warnings.append(f"{len(lines)} row(s) had fewer fields than the header (first at line "
                        f"{lines[0]}); the missing fields were left empty. Does every line "
                        f"use the header's delimiter {delimiter!r}?")
    return pd.DataFrame(rows, columns=columns, dtype=object)
