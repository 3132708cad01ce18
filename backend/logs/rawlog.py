"""Raw log text -> records: header fields parsed, multi-line records joined, nothing dropped.

Shared by the bulk readers, the API and (through the API) the UI, so a `.log`
file gives the same rows wherever it is classified. A record starts at a line
that matches the format's header (or `record_start`, a regex); with `multiline`
the lines that do not start a record (stack-trace frames, wrapped messages) are
joined to the record before them, as the multiline codecs of Logstash, Vector and
Fluent Bit do. Lines before the first header, and every non-matching line when
`multiline` is off, become records of their own with the whole line as message.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from backend.core.cancel import checkpoint
from backend.logs.logformat import CONTENT, LogFormat, LogFormatError, compile_pattern

LINE, LINE_COUNT, SOURCE, PARSED = "line", "line_count", "source", "parsed"
_CHECK_EVERY = 4096  # lines between cancellation checks


class RawLogOptions(BaseModel):
    """How raw log text is read: one model for the API's `text/plain` door (query), its
    `.log` uploads and file jobs (form fields) and `sift classify-file` (options)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # the patterns' length is checked where they are compiled (MAX_PATTERN_CHARS, one message)
    log_format: str | None = Field(
        default=None, description="A preset name, `auto`, or a Loghub-style header format "
        "such as `<Date> <Time> <Level> <Component>: <Content>`.")
    multiline: bool = Field(
        default=True, description="Join lines that do not start a record (stack traces, "
        "wrapped messages) to the record before.")
    record_start: str | None = Field(
        default=None, description="Regex of a record's first line (default: the format's "
        "header).")
    source_field: str | None = Field(
        default=None, max_length=200, description="The format field that names the source.")
    source: str | None = Field(
        default=None, max_length=200, description="The source of every record (default: the "
        "file name; none for `text/plain`).")

    @field_validator("log_format", mode="before")
    @classmethod
    def _stripped(cls, value: object) -> object:
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("record_start", "source_field", "source", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return value or None

    @field_validator("multiline", mode="before")
    @classmethod
    def _blank_is_default(cls, value: object) -> object:
        return True if value is None or (isinstance(value, str) and not value.strip()) else value


class TooManyRecords(ValueError):  # noqa: N818 - the condition, as the API states it
    """The text holds more records than the limit (found while reading, before keeping them)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit:,} records")
        self.limit = limit


class RecordTooLong(ValueError):  # noqa: N818
    """One record's message (its line plus joined lines) is longer than the limit."""

    def __init__(self, line: int, limit: int) -> None:
        super().__init__(f"the record at line {line} is longer than {limit:,} characters")
        self.line, self.limit = line, limit


@dataclass
class RawRecord:
    """One record: where it starts, how many lines it spans, its fields (None: no header)."""

    line: int
    fields: dict[str, str] | None
    content: str
    line_count: int = 1
    extra: list[str] = field(default_factory=list)

    def message(self) -> str:
        return "\n".join([self.content, *self.extra]) if self.extra else self.content


@dataclass
class ParseStats:
    """Row accounting for a parse: lines read, records, headers matched, lines joined."""

    lines: int = 0
    records: int = 0
    matched: int = 0
    unmatched: int = 0
    joined: int = 0
    blank: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


@dataclass(frozen=True)
class LogReading:
    """How to read a raw log: header format, record start, and where `source` comes from."""

    format: LogFormat | None = None
    multiline: bool = True
    record_start: str | None = None
    source_field: str | None = None
    source_value: str = ""

    def __post_init__(self) -> None:
        if self.record_start:
            self.start_pattern  # noqa: B018 - compiled now, so a bad pattern is refused early
        if self.source_field and self.source_field not in self.field_names:
            known = ", ".join(self.field_names) or "none (no format given)"
            raise LogFormatError(f"the source field {self.source_field!r} is not a field of "
                                 f"the format; fields: {known}")

    @cached_property
    def start_pattern(self) -> Any:
        """`record_start` on RE2 (linear time; see logformat.compile_pattern), or None."""
        if not self.record_start:
            return None
        return compile_pattern(self.record_start,
                               f"the record start pattern {self.record_start!r}")

    @cached_property
    def field_names(self) -> tuple[str, ...]:
        return self.format.columns[:-1] if self.format is not None else ()

    @property
    def columns(self) -> list[str]:
        """Output columns of every record, the message (`Content`) last."""
        return [LINE, LINE_COUNT, PARSED, SOURCE, *self.field_names, CONTENT]

    def records(self, lines: Iterable[str], stats: ParseStats | None = None,
                max_records: int | None = None, max_chars: int | None = None
                ) -> Iterator[RawRecord]:
        """Records in file order; `stats` (if given) is updated as lines are read. Past
        `max_records` records, or a record message past `max_chars`, the reading stops with
        TooManyRecords / RecordTooLong."""
        return assemble(lines, self.format, self.multiline, self.start_pattern,
                        stats if stats is not None else ParseStats(), max_records, max_chars)

    def row(self, record: RawRecord) -> tuple[str, ...]:
        """A record as values in `columns` order."""
        fields = record.fields
        if fields is None:
            return (str(record.line), str(record.line_count), "false", self.source_value,
                    *[""] * len(self.field_names), record.message())
        source = fields.get(self.source_field, "") if self.source_field else ""
        return (str(record.line), str(record.line_count), "true", source or self.source_value,
                *[fields[name] for name in self.field_names], record.message())


def assemble(lines: Iterable[str], fmt: LogFormat | None, multiline: bool,
             start: Any, stats: ParseStats, max_records: int | None = None,
             max_chars: int | None = None) -> Iterator[RawRecord]:
    """The record state machine; one pass, one record held back at a time. It checks the
    limits as it goes (so a body of millions of tiny lines, or one endless record, stops at
    the limit rather than after it has been built) and the request's cancel flag."""
    current: RawRecord | None = None
    records_limit = max_records if max_records is not None else -1
    chars_limit = max_chars if max_chars is not None else -1
    size = 0  # characters of the current record's message
    for number, raw in enumerate(lines, start=1):
        stats.lines = number
        if not number % _CHECK_EVERY:
            checkpoint()
        text = raw.rstrip("\r\n")
        stripped = text.strip()
        if not stripped:
            stats.blank += 1
            continue
        if fmt is None and start is None:
            stats.records += 1
            if stats.records > records_limit >= 0:
                raise TooManyRecords(records_limit)
            if len(stripped) > chars_limit >= 0:
                raise RecordTooLong(number, chars_limit)
            stats.unmatched += 1
            yield RawRecord(number, None, stripped)
            continue
        fields = fmt.parse(stripped) if fmt is not None else None
        starts = start.match(text) is not None if start is not None else fields is not None
        if not starts and multiline and current is not None:
            size += len(text) + 1
            if size > chars_limit >= 0:
                raise RecordTooLong(current.line, chars_limit)
            current.extra.append(text)
            current.line_count += 1
            stats.joined += 1
            continue
        if current is not None:
            yield current
        stats.records += 1
        if stats.records > records_limit >= 0:
            raise TooManyRecords(records_limit)
        if fields is not None:
            stats.matched += 1
            current = RawRecord(number, fields, fields.get(CONTENT, ""))
        else:
            stats.unmatched += 1
            current = RawRecord(number, None, stripped)
        size = len(current.content)
        if size > chars_limit >= 0:
            raise RecordTooLong(number, chars_limit)
        if not multiline:
            yield current
            current = None
    if current is not None:
        yield current


# printable ASCII -> "x", newline kept, everything else (whitespace, control, non-ASCII) -> " "
_FIRST_CHAR = bytes(ord("x") if 0x21 <= b < 0x7F else b if b == 0x0A else 0x20
                    for b in range(256))
_SLICE = 1 << 20


def line_bounds(text: str) -> tuple[int, int]:
    """(at most, at least) how many non-blank lines `text` has, at C speed in 1 MB slices
    (the interpreter lock is let go between them). At most: line breaks + 1. At least: the
    lines whose first character is printable ASCII; indented, non-ASCII-led and CR-separated
    lines are not counted, so it never exceeds the records of a one-record-a-line parse."""
    most, least = 1, 0
    for start in range(0, len(text), _SLICE):
        checkpoint()
        chunk = text[start:start + _SLICE].encode("utf-8", "surrogatepass")
        most += chunk.count(b"\n") + chunk.count(b"\r")
        marked = chunk.translate(_FIRST_CHAR)
        least += marked.count(b"\nx") + (start == 0 and marked[:1] == b"x")
    return most, least


def parse_text(text: str, reading: LogReading, max_records: int | None = None,
               max_chars: int | None = None) -> tuple[list[RawRecord], ParseStats]:
    """A whole text at once (API uploads), within the limits. When the text has more lines
    than `max_records`, it is refused at once if each non-blank line is a record and
    surely more than the limit are; else a first pass counts its records without keeping
    them. Either way a body of millions of short lines is refused before a million records
    are built."""
    most, least = line_bounds(text) if max_records is not None else (0, 0)
    if max_records is not None and most > max_records:
        one_per_line = (reading.format is None and reading.start_pattern is None
                        ) or not reading.multiline
        if one_per_line and least > max_records:
            raise TooManyRecords(max_records)  # every non-blank line is a record
        for _ in reading.records(io.StringIO(text, newline=""), ParseStats(), max_records,
                                 max_chars):
            pass
    stats = ParseStats()
    records = reading.records(io.StringIO(text, newline=""), stats, max_records, max_chars)
    return list(records), stats
