"""Records of a delimited text stream, one pass, with the line each starts on.

The API's lenient reader and the bulk engines both read through `records` and `fit`,
so blank lines, ragged rows and a quote that never closes are treated the same way
everywhere: a blank line is no row; a record is fitted to the header's width and the
change named; a quote still open at the end of the input is re-read one row per
physical line (the first of them flagged), never merged silently.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

csv.field_size_limit(1 << 30)
UNCLOSED = "opens a quote that never closes"
_SENTINEL = "\x01sift-end-of-input\x01"


@dataclass(frozen=True)
class Record:
    """Fields of one record, the physical line it starts on, and what was wrong with it."""

    line: int
    fields: list[str]
    issue: str | None = None


class _Buffered:
    """A line iterator that remembers the lines of the record being parsed."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.taken: list[str] = []

    def __iter__(self) -> _Buffered:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken.append(line)
        return line


def records(lines: Iterable[str], delimiter: str) -> Iterator[Record]:
    """Every non-blank record (the header included) in input order."""
    source = _Buffered(lines)
    reader = csv.reader(source, delimiter=delimiter)
    pending: tuple[Record, list[str]] | None = None
    previous = 0
    while True:
        try:
            fields = next(reader)
            issue = None
        except StopIteration:
            break
        except csv.Error as exc:
            fields, issue = [], f"unreadable CSV row ({exc})"
        start, previous = previous + 1, reader.line_num
        taken, source.taken = source.taken, []
        if issue is None and _blank(fields):
            continue
        if pending is not None:
            yield pending[0]
        pending = (Record(start, fields, issue), taken)
    if pending is not None:
        record, taken = pending
        if record.issue is None and _unclosed(taken, delimiter):
            yield from _one_per_line(record.line, taken, delimiter)
        else:
            yield record


def fit(fields: list[str], width: int, delimiter: str) -> tuple[list[str], str | None]:
    """Exactly `width` values (extras joined into the last, missing ones empty) and, when
    the record did not fit, what was changed."""
    if len(fields) == width:
        return fields, None
    if len(fields) > width:
        joined = [*fields[: width - 1], delimiter.join(fields[width - 1:])]
        return joined, f"too many fields: the row has {len(fields)}, the header has {width}"
    return fields + [""] * (width - len(fields)), (
        f"missing column(s): the row has {len(fields)} field(s), the header has {width}")


def _blank(fields: list[str]) -> bool:
    """No fields, or one whitespace-only field: a blank line. (`,` is a row of empties.)"""
    return not fields or (len(fields) == 1 and not fields[0].strip())


def _unclosed(taken: list[str], delimiter: str) -> bool:
    """True when these lines end inside a quote: a sentinel line after them is swallowed
    into the last field instead of standing alone."""
    if not taken:
        return False
    tail = taken[-1] if taken[-1].endswith(("\n", "\r")) else taken[-1] + "\n"
    probe = list(csv.reader([*taken[:-1], tail, _SENTINEL + "\n"], delimiter=delimiter))
    return not probe or probe[-1] != [_SENTINEL]


def _one_per_line(first: int, taken: list[str], delimiter: str) -> Iterator[Record]:
    for number, line in enumerate(taken, start=first):
        fields = next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])
        if not _blank(fields):
            yield Record(number, fields, f"line {first} {UNCLOSED}" if number == first else None)
