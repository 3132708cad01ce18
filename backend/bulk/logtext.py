"""Streaming reader for raw log text (`.log`, `.txt`, plain or gzip'd) for both engines.

Lines go through `backend.logs.rawlog` (the same parser as the API), so a record
is a header match plus its continuation lines. Every record becomes one row:
`line, line_count, source`, the format's fields, and `Content` (the message).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from backend.bulk.formats import InputError, Lines, Record, _held_back
from backend.logs.logformat import LogFormatError, resolve
from backend.logs.rawlog import LogReading, RawLogOptions

_HEAD_LINES = 200


class LogOptions(RawLogOptions):
    """The raw-log options (the API's model) as the bulk engines read a file: picklable,
    and part of the resume identity."""

    def reading(self, path: Path, gz: bool) -> LogReading:
        """The parser for this file; `auto` looks at the first lines only."""
        head: list[str] = []
        if (self.log_format or "").strip().lower() == "auto":
            for line in Lines(path, gz):
                head.append(line)
                if len(head) >= _HEAD_LINES:
                    break
        try:
            fmt, _note = resolve(self.log_format, head)
            return LogReading(fmt, self.multiline, self.record_start, self.source_field,
                              self.source if self.source is not None else _file_source(path))
        except LogFormatError as exc:
            raise InputError(str(exc)) from exc

    def resolved(self, path: Path, gz: bool) -> tuple[LogOptions, str | None]:
        """`auto` replaced by the preset it chose (so every chunk and a resume agree), plus
        the sentence saying what was chosen."""
        if (self.log_format or "").strip().lower() != "auto":
            return self, None
        head = []
        for line in Lines(path, gz):
            head.append(line)
            if len(head) >= _HEAD_LINES:
                break
        fmt, note = resolve("auto", head)
        chosen = fmt.name if fmt is not None else "none"
        return self.model_copy(update={"log_format": chosen}), note


def _file_source(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".gzip", ".log", ".txt"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


def read_log(path: Path, gz: bool, options: LogOptions) -> tuple[list[str], Iterator[Record]]:
    """Columns and records of a raw log file, streaming."""
    reading = options.reading(path, gz)
    lines = Lines(path, gz)

    def records() -> Iterator[Record]:
        for record in reading.records(lines):
            yield Record(record.line, reading.row(record))

    return reading.columns, _held_back(records(), lines)
