"""Streaming readers for CSV, JSON Lines and Parquet (plain or gzip'd).

Every reader yields `Record`s in file order: the data of one row, or the reason
it could not be read (with the line it came from). The chunker in
`backend.bulk.chunks` numbers them; both engines read through these readers, so
bad input is reported the same way wherever the job runs.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tempfile
import weakref
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sift_tables import TableError, match_columns, pick_delimiter, stream_encoding
from sift_tables.stream import fit, records

FORMATS = ("csv", "jsonl", "parquet", "log")
_GZIP_MAGIC = b"\x1f\x8b"
_RAW_EXCERPT = 200


class InputError(ValueError):
    """The input cannot be read at all (no header, missing columns, unknown format)."""


@dataclass(frozen=True)
class Record:
    """One input row: `values` in column order, or `error` saying why it was skipped."""

    line: int
    values: tuple[str, ...] | None
    error: str | None = None
    raw: str = ""


def detect_format(path: Path, given: str | None = None) -> tuple[str, bool]:
    """(format, gzipped) from `--format` or the file name (`.csv.gz`, `.jsonl`, ...)."""
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] in (".gz", ".gzip")
    if gz:
        suffixes = suffixes[:-1]
    if given:
        if given not in FORMATS:
            raise InputError(f"unknown format {given!r}; use one of {', '.join(FORMATS)}")
        return given, gz or _has_gzip_magic(path)
    ext = suffixes[-1].lstrip(".") if suffixes else ""
    fmt = {"csv": "csv", "tsv": "csv", "txt": "log", "log": "log", "jsonl": "jsonl",
           "ndjson": "jsonl", "json": "jsonl", "parquet": "parquet", "pq": "parquet"}.get(ext)
    if fmt is None:
        raise InputError(f"cannot tell the format of {path.name}; name it .csv, .jsonl, "
                         ".parquet or .log (optionally + .gz) or pass --format")
    return fmt, gz or _has_gzip_magic(path)


def _has_gzip_magic(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == _GZIP_MAGIC


def _describe(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "the gzip stream ends early (truncated file)"
    return f"the gzip stream is corrupt ({exc})"


class Lines:
    """The text lines of a file, decompressing on the fly; remembers how the stream ended."""

    def __init__(self, path: Path, gz: bool) -> None:
        self.path, self.gz = path, gz
        self.encoding: str | None = None  # chosen from the first 64 KB, as the API chooses
        self.failure: str | None = None  # set when decompression failed mid-file
        self.last_terminated = True
        self.count = 0

    def _open(self) -> IO[bytes]:
        if self.gz:
            return gzip.open(self.path, "rb")  # type: ignore[return-value]  # a binary IO
        return open(self.path, "rb")  # noqa: SIM115

    def __iter__(self) -> Iterator[str]:
        if self.encoding is None:
            try:
                with self._open() as head:
                    self.encoding = stream_encoding(head.read(1 << 16))
            except (EOFError, OSError, zlib.error):
                self.encoding = "utf-8-sig"  # the failure is reported by the read below
        binary = self._open()
        with io.TextIOWrapper(binary, encoding=self.encoding, errors="replace",
                              newline="") as text:
            lines = iter(text)
            while True:
                try:
                    line = next(lines)
                except StopIteration:
                    return
                except (EOFError, OSError, zlib.error) as exc:
                    self.failure = _describe(exc)
                    return
                self.count += 1
                self.last_terminated = line.endswith(("\n", "\r"))
                yield line


def _missing(columns: list[str], required: tuple[str, ...]) -> list[str]:
    return [c for c in required if c not in columns]


def _check_header(columns: list[str], required: tuple[str, ...]) -> list[str]:
    """The header with the required columns under their canonical names (matched as the API
    matches them: case, spaces, dots, colons, underscores ignored; duplicates refused)."""
    try:
        mapping = match_columns(columns, required)
    except TableError as exc:
        missing = exc.extra.get("missing_columns")
        if not missing:
            raise InputError(exc.message) from None
        found = ", ".join(repr(c) for c in columns) or "none"
        raise InputError(f"missing required column(s) {', '.join(map(repr, missing))}; found "
                         f"{found}. Name them with --source-column / --message-column."
                         ) from None
    return [mapping.get(c, c) for c in columns]


def _flag_last(last: Record | None, lines: Lines) -> Record | None:
    """The final row of a cut stream, or an unparseable final row without newline, is truncated."""
    if last is None:
        return None
    cut = lines.failure is not None and not lines.last_terminated
    if cut or (last.error is not None and not lines.last_terminated):
        return Record(last.line, None, "truncated last line", last.raw)
    return last


def read_csv(path: Path, gz: bool, required: tuple[str, ...],
             delimiter: str | None = None) -> tuple[list[str], Iterator[Record]]:
    """Header and records of a CSV; rows with too few or too many fields are errors."""
    if delimiter is None:
        delimiter = pick_delimiter(_sample(path, gz), required)
    lines = Lines(path, gz)
    stream = records(lines, delimiter)
    first = next(stream, None)
    if first is None:
        raise InputError(f"{path.name} is empty: expected a header row")
    if first.issue is not None:
        raise InputError(f"cannot read the header row of {path.name}: {first.issue}")
    header = _check_header([h.strip() for h in first.fields], required)
    return header, _held_back(_csv_records(stream, len(header), delimiter), lines)


def _sample(path: Path, gz: bool, lines: int = 50) -> str:
    text = []
    for i, line in enumerate(Lines(path, gz)):
        text.append(line)
        if i >= lines:
            break
    return "".join(text)


def _held_back(records: Iterator[Record], lines: Lines) -> Iterator[Record]:
    """Yield one record behind the reader, so the last can be checked for truncation once
    the file is exhausted; then report a read failure (corrupt gzip) if there was one."""
    last: Record | None = None
    for record in records:
        if last is not None:
            yield last
        last = record
    final = _flag_last(last, lines)
    if final is not None:
        yield final
    if lines.failure:
        yield Record(lines.count + 1, None, f"{lines.failure}; rows after line {lines.count} "
                                            "could not be read")


def _csv_records(stream: Iterator[Any], width: int, delimiter: str) -> Iterator[Record]:
    """Rows that do not fit the header are refused (reported with their line), not repaired:
    a bulk job's error file is where a user looks for them."""
    for record in stream:
        raw = delimiter.join(record.fields)[:_RAW_EXCERPT]
        error = record.issue
        if error is None:
            _, error = fit(record.fields, width, delimiter)
        yield Record(record.line, None if error else tuple(record.fields), error, raw)


def read_jsonl(path: Path, gz: bool, required: tuple[str, ...]
               ) -> tuple[list[str], Iterator[Record]]:
    """Keys of the first object are the columns; later objects may omit optional ones."""
    columns: list[str] | None = None
    for line in Lines(path, gz):
        try:
            first = json.loads(line)
        except ValueError:
            continue
        if isinstance(first, dict):
            columns = [str(k) for k in first]
            break
    if columns is None:
        raise InputError(f"{path.name} has no JSON object lines")
    for name in required:
        if name not in columns:
            columns.append(name)
    lines = Lines(path, gz)
    return columns, _held_back(_jsonl_records(lines, columns, required), lines)


def _jsonl_records(lines: Lines, columns: list[str], required: tuple[str, ...]
                   ) -> Iterator[Record]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        raw = line.strip()[:_RAW_EXCERPT]
        record = Record(number, None, "not a JSON object", raw)
        try:
            obj = json.loads(line)
        except ValueError as exc:
            record = Record(number, None, f"invalid JSON ({exc.args[0]})", raw)
        else:
            if isinstance(obj, dict):
                missing = _missing(list(obj), required)
                record = (Record(number, None, f"missing column(s): {', '.join(missing)}", raw)
                          if missing else Record(number, tuple(_cell(obj.get(c))
                                                               for c in columns)))
        yield record


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def read_parquet(path: Path, gz: bool, required: tuple[str, ...],
                 batch_rows: int = 8192) -> tuple[list[str], Iterator[Record]]:
    """Columns from the schema; `line` is the 1-based row number. A .gz copy is unpacked first."""
    import pyarrow.parquet as pq

    source = _gunzip_to_temp(path) if gz else path
    try:
        parquet = pq.ParquetFile(source)
    except Exception as exc:
        raise InputError(f"{path.name} is not a readable Parquet file: {exc}") from exc
    if source != path:  # the unpacked copy goes when the reader does
        weakref.finalize(parquet, source.unlink, True)
    names = list(parquet.schema_arrow.names)
    columns = _check_header(names, required)

    def records() -> Iterator[Record]:
        number = 0
        try:
            for batch in parquet.iter_batches(batch_size=batch_rows):
                data = [[_cell(v) for v in batch.column(c).to_pylist()] for c in names]
                for values in zip(*data, strict=True):
                    number += 1
                    yield Record(number, values)
        except OSError as exc:
            yield Record(number + 1, None, f"corrupt Parquet data after row {number}: {exc}")

    return columns, records()


def _gunzip_to_temp(path: Path) -> Path:
    handle, name = tempfile.mkstemp(suffix=".parquet", prefix="sift-bulk-")
    try:
        with gzip.open(path, "rb") as src, open(handle, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except (EOFError, OSError, zlib.error) as exc:
        Path(name).unlink(missing_ok=True)
        raise InputError(f"{path.name}: {_describe(exc)}; a Parquet file must be complete"
                         ) from exc
    return Path(name)


def open_records(path: Path, fmt: str, gz: bool, required: tuple[str, ...],
                 delimiter: str | None = None) -> tuple[list[str], Iterator[Record]]:
    """Columns and the record stream of any supported input."""
    if not path.is_file():
        raise InputError(f"{path} does not exist")
    if fmt == "csv":
        return read_csv(path, gz, required, delimiter)
    if fmt == "jsonl":
        return read_jsonl(path, gz, required)
    return read_parquet(path, gz, required)
