"""XES (IEEE 1849) event logs -> one row per event, for training and serving alike.

pm4py is the field's reader, but it brings lxml, cvxopt and graphviz into the
serving install for what is, here, one flat table. XES is plain XML, so a
streaming parse with the standard library (`xml.etree.ElementTree.iterparse`,
expat with its entity-expansion limits) reads it in one pass and bounded
memory: each trace is cleared once read. Event attributes become columns
under their key; trace (case) attributes get the `case:` prefix, the same
names pm4py and the common CSV exports use (`case:concept:name`,
`time:timestamp`, `concept:name`, `org:resource`).
"""

from __future__ import annotations

import gzip
import io
import xml.etree.ElementTree as ET
from typing import IO

import pandas as pd

from backend.core.errors import BadInputError, ProblemError

GZIP_MAGIC = b"\x1f\x8b"
ATTRIBUTE_TAGS = {"string", "date", "int", "float", "boolean", "id"}
CASE_PREFIX = "case:"


def looks_like_xes(data: bytes, filename: str | None = None) -> bool:
    """By name (.xes, .xes.gz) or content (gzip, or XML whose root is <log>)."""
    name = (filename or "").lower()
    if name.endswith((".xes", ".xes.gz")):
        return True
    if data.startswith(GZIP_MAGIC):
        return name.endswith(".gz") or not name
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<?xml") and b"<log" in head or head.startswith(b"<log")


class _Limited(io.RawIOBase):
    """A reader that refuses to yield more than `limit` bytes (a gzip bomb stops early)."""

    def __init__(self, inner: IO[bytes], limit: int) -> None:
        self.inner, self.limit, self.read_bytes = inner, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self.inner.read(len(buffer))
        self.read_bytes += len(chunk)
        if self.read_bytes > self.limit:
            raise ProblemError(413, f"The XES log expands to more than {self.limit:,} bytes; "
                                    "split it, or use the training CLI.")
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_xes(data: bytes, max_bytes: int = 1 << 30, max_events: int | None = None
             ) -> pd.DataFrame:
    """Parse XES bytes (optionally gzip-compressed) into a frame of string columns."""
    raw: IO[bytes] = io.BytesIO(data)
    if data.startswith(GZIP_MAGIC):
        raw = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
    stream = io.BufferedReader(_Limited(raw, max_bytes))
    if b"<!ENTITY" in stream.peek(65536)[:65536]:
        raise BadInputError("The XES file declares XML entities; remove the DOCTYPE/ENTITY "
                            "declarations (XES does not use them).")
    rows: list[dict[str, str]] = []
    case: dict[str, str] = {}
    event: dict[str, str] | None = None
    path: list[str] = []
    trace_start = 0
    try:
        for kind, element in ET.iterparse(stream, events=("start", "end")):
            tag = _local(element.tag)
            if kind == "start":
                path.append(tag)
                if tag == "trace":
                    case, trace_start = {}, len(rows)
                elif tag == "event" and len(path) >= 2 and path[-2] == "trace":
                    event = {}
                continue
            path.pop()
            parent = path[-1] if path else ""
            if tag in ATTRIBUTE_TAGS and "key" in element.attrib:
                key, value = element.attrib["key"], element.attrib.get("value", "")
                if parent == "event" and event is not None:
                    event[key] = value
                elif parent == "trace":
                    case[CASE_PREFIX + key] = value
            elif tag == "event" and event is not None:
                rows.append(event)
                event = None
                if max_events is not None and len(rows) > max_events:
                    raise ProblemError(413, f"The XES log has more than {max_events:,} events; "
                                            "the limit per request is that (split it).")
            elif tag == "trace":
                for row in rows[trace_start:]:
                    row.update(case)
                element.clear()
    except ET.ParseError as exc:
        raise BadInputError(f"The XES file is not well-formed XML: {exc}.") from None
    except (OSError, EOFError) as exc:
        raise BadInputError(f"The XES file could not be read (damaged gzip?): {exc}.") from None
    if not rows:
        raise BadInputError("The XES file holds no <trace><event> elements: nothing to tag.")
    return pd.DataFrame.from_records(rows).astype(object)

