"""Reading uploaded tables robustly and writing them safely (shared by every CSV endpoint).

Bad input gets a message that says what to fix; nothing readable is dropped.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from charset_normalizer import from_bytes

from backend.core.errors import BadInputError, ProblemError
from sift_tables import normalize_header

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MAGIC = {b"PK\x03\x04": "a zip archive", b"\x1f\x8b": "a gzip file", b"%PDF": "a PDF",
          b"\x89PNG": "a PNG image", b"PAR1": "a Parquet file"}


@dataclass
class Table:
    frame: pd.DataFrame
    encoding: str
    delimiter: str
    warnings: list[str] = field(default_factory=list)


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """Bytes -> text. UTF-8 (with or without BOM), UTF-16 by BOM, else a detected charset."""
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise ProblemError(415, f"The upload is {what}, not a CSV file. "
                                    "Send plain-text CSV (UTF-8 preferred).")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding, []
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:8192]:
        raise ProblemError(415, "The upload contains binary data (NUL bytes); "
                                "send a plain-text CSV file.")
    best = from_bytes(data[:65536]).best()
    encoding = best.encoding if best is not None else "latin-1"
    try:
        text = data.decode(encoding, errors="replace")
    except LookupError:
        encoding, text = "latin-1", data.decode("latin-1")
    return text, encoding, [f"file is not UTF-8; read it as {encoding}"]


def sniff_delimiter(text: str) -> str:
    sample = text[:20000]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _match_columns(columns: Sequence[str], required: Sequence[str]) -> dict[str, str]:
    """Map actual header names to required ones; both sides normalised (case, spaces, colons,
    dots) by the one shared `normalize_header`."""
    normal = {normalize_header(c): c for c in columns}
    mapping = {normal[normalize_header(r)]: r for r in required if normalize_header(r) in normal}
    missing = [r for r in required if normalize_header(r) not in normal]
    if missing:
        hints = []
        for name in missing:
            close = difflib.get_close_matches(normalize_header(name), list(normal), n=1,
                                              cutoff=0.6)
            if close:
                hints.append(f"'{normal[close[0]]}' looks like a misspelling of '{name}'")
        found = ", ".join(repr(c) for c in columns) or "none"
        raise BadInputError(
            f"Missing required column(s): {', '.join(repr(m) for m in missing)}. "
            f"Found: {found}. " + ("; ".join(hints) + ". " if hints else "")
            + f"The header row must contain: {', '.join(required)}.",
            missing_columns=missing)
    return mapping


def read_table(data: bytes, required: Sequence[str], max_rows: int | None = None) -> Table:
    """Parse an uploaded CSV (any common delimiter/encoding) with the required columns."""
    if not data.strip():
        raise BadInputError(f"The file is empty. Send a CSV whose header row is: "
                            f"{','.join(required)}.")
    text, encoding, warnings = decode(data)
    delimiter = sniff_delimiter(text)
    overflow: list[int] = []
    try:
        if _first_row_overflows(text, delimiter):
            raise pd.errors.ParserError("first data row has more fields than the header")
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, index_col=False,
                            keep_default_na=False, na_filter=False, skip_blank_lines=True)
    except pd.errors.EmptyDataError as exc:
        raise BadInputError("The file has no header row. "
                            f"Start it with: {','.join(required)}.") from exc
    except pd.errors.ParserError:
        frame = _read_lenient(text, delimiter, overflow)
    mapping = _match_columns([str(c) for c in frame.columns], required)
    frame = frame.rename(columns=mapping)
    if frame.empty:
        raise BadInputError(f"The file has a header ({', '.join(map(str, frame.columns))}) "
                            "but no data rows.")
    if max_rows is not None and len(frame) > max_rows:
        raise ProblemError(413, f"The file has {len(frame):,} rows; the limit per request is "
                                f"{max_rows:,}. Split it, or use the bulk CLI (classify-file).")
    if overflow:
        warnings.append(f"{len(overflow)} row(s) had more fields than the header (first at "
                        f"line {overflow[0]}); the extra fields were joined into the last column")
    if delimiter != ",":
        warnings.append(f"delimiter {delimiter!r} detected")
    return Table(frame.reset_index(drop=True), encoding, delimiter, warnings)


def _first_row_overflows(text: str, delimiter: str) -> bool:
    """pandas would turn a first row's extra fields into an index (dropped) or cut them."""
    try:
        records = (r for r in csv.reader(io.StringIO(text[: 1 << 20]), delimiter=delimiter)
                   if r)
        header, first = next(records, []), next(records, [])
    except csv.Error:
        return False
    return len(first) > len(header)


def _read_lenient(text: str, delimiter: str, overflow: list[int]) -> pd.DataFrame:
    """Rows with too many fields keep their data: extras join the last column."""
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise BadInputError("The file has no header row.")
    header, body = rows[0], rows[1:]
    width = len(header)
    fixed = []
    for line_no, row in enumerate(body, start=2):
        if len(row) > width:
            overflow.append(line_no)
            row = [*row[: width - 1], delimiter.join(row[width - 1:])]
        fixed.append(row + [""] * (width - len(row)))
    return pd.DataFrame(fixed, columns=header, dtype=str)


def neutralise(value: str) -> str:
    """Spreadsheet-safe text: a cell that would start a formula is prefixed with a quote."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def to_safe_csv(frame: pd.DataFrame) -> str:
    """CSV text with every text cell protected against formula injection."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(lambda v: neutralise(v) if isinstance(v, str) else v)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    return safe.to_csv(index=False, lineterminator="\n")
