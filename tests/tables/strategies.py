"""Hypothesis strategies: CSV and JSON bodies built from hostile pieces.

Quotes, CR/LF, every delimiter, formula starts, BOMs, NUL, astral and accented text,
numbers of every size, headers in other spellings, near-duplicate and repeated
headers, wide and long tables. `csv_bodies` says how many rows a correct reader returns
and, when the text can be compared exactly, what their messages are.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

PIECES = ['"', "'", ",", ";", "\t", "|", "\r", "\n", "\r\n", "=", "+", "-", "@", " ", "a",
          "Z", "0", "9.5", "ü", "€", "😀", "\ufeff", "\x00", "\\", "\u2028", "é", "ß", "日本"]
SPELLINGS = {"source": ["source", "Source", "SOURCE", " source ", "source."],
             "log_message": ["log_message", "Log Message", "log.message", "LOG_MESSAGE",
                             "log:message", "log-message"]}
NUMBERS = ["0", "-0", "1e400", "-1e400", "1" + "0" * 400, "NaN", "Infinity", "1e-400",
           "9007199254740993", "0.1", "-1", "1.7976931348623157e308"]


@dataclass(frozen=True)
class CsvBody:
    data: bytes
    rows: int  # data rows a correct reader returns
    messages: list[str] | None  # exact values when the encoding round-trips for sure
    duplicate: bool  # the header names a required column twice: must be refused
    columns: int


cells = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


@st.composite
def csv_bodies(draw: st.DrawFn) -> CsvBody:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    extra = draw(st.one_of(st.integers(0, 4), st.sampled_from([0, 0, 60, 6_000])))
    roles = ["source", "log_message", *(f"x{i}" for i in range(extra))]
    duplicate = draw(st.integers(0, 9)) == 0
    if duplicate:
        roles.append(draw(st.sampled_from(["source", "log_message"])))
    if len(roles) < 8:
        roles = list(draw(st.permutations(roles)))
    header = [draw(st.sampled_from(SPELLINGS[r])) if r in SPELLINGS else r for r in roles]
    n = draw(st.one_of(st.integers(1, 8), st.sampled_from([1, 40, 400])))
    column = roles.index("log_message")
    messages = [draw(cells) for _ in range(n)] if n <= 8 else [f"line {i}" for i in range(n)]
    width = len(header)
    quote_all = draw(st.booleans())
    lines = [_line(header, delimiter, quote_all)]
    for message in messages:
        row = ["src"] * width
        row[column] = message
        lines.append(_line(row, delimiter, quote_all))
    text = newline.join(lines) + newline
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "cp1252",
                                     "utf-16-le"]))
    exact = encoding in ("utf-8", "utf-8-sig", "utf-16")
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data, exact = text.encode("utf-8"), True
    if draw(st.booleans()):
        data = data.rstrip(b"\r\n") if encoding not in ("utf-16", "utf-16-le") else data
    return CsvBody(data, n, messages if exact else None, duplicate, width)


garbage = st.lists(st.sampled_from([*PIECES, "source,log_message\n", "A,b\n", '"A",\n']),
                   max_size=40).map(lambda parts: "".join(parts).encode("utf-8", "replace"))


@st.composite
def json_bodies(draw: st.DrawFn) -> tuple[str, int | None]:
    """(raw JSON text, logs sent or None when the body is not a valid request)."""
    n = draw(st.integers(1, 6))
    logs = []
    for _ in range(n):
        message = draw(st.one_of(cells.map(_json_string), st.sampled_from(NUMBERS),
                                 st.just('"x \\ud800"'), st.just('"\\udfff y"'),
                                 st.just("null")))
        source = draw(st.one_of(cells.map(_json_string), st.just('"S\\ud83d"')))
        logs.append(f'{{"source": {source}, "log_message": {message}}}')
    threshold = draw(st.sampled_from(["", ', "threshold": 0.5', ', "threshold": 1e400',
                                      ', "threshold": "NaN"']))
    valid = all(not any(log.endswith(f"{x}}}") for x in NUMBERS) for log in logs)
    return '{"logs": [' + ", ".join(logs) + "]" + threshold + "}", n if valid else None


def _line(cells: list[str], delimiter: str, quote_all: bool) -> str:
    """One RFC 4180 record: a cell holding the delimiter, a quote, CR or LF is quoted."""
    return delimiter.join(
        '"' + c.replace('"', '""') + '"'
        if quote_all or any(x in c for x in (delimiter, '"', "\r", "\n")) else c
        for c in cells)


def _json_string(text: str) -> str:
    import json

    return json.dumps(text)
