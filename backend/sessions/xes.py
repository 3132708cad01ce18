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
from contextlib import ExitStack
from typing import IO

import pandas as pd

from backend.core.cancel import GIL_BOUND_BYTES, checkpoint, gil_bound_work
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


MAX_TOKEN_BYTES = 1 << 20  # bytes of XML with no complete element, comment or PI in them
_FEED = 1 << 16
_FRAME_SLICE = 16_384  # event rows per DataFrame.from_records call


def read_xes(data: bytes, max_bytes: int = 1 << 30, max_events: int | None = None
             ) -> pd.DataFrame:
    """Parse XES bytes (optionally gzip-compressed, every member) into a frame of string
    columns, in bounded memory and time: the inflated size is bounded by `max_bytes`, the
    events by `max_events`, and one XML token (a comment, a text node, a tag) by
    MAX_TOKEN_BYTES, because expat's work on one huge token grows faster than its size (a
    16 MB comment took 12 s). The loop checks the request's cancel flag as it goes."""
    raw: IO[bytes] = io.BytesIO(data)
    if data.startswith(GZIP_MAGIC):
        raw = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
    stream = io.BufferedReader(_Limited(raw, max_bytes))
    try:
        if b"<!ENTITY" in stream.peek(65536)[:65536]:
            raise BadInputError("The XES file declares XML entities; remove the DOCTYPE/ENTITY "
                                "declarations (XES does not use them).")
        with ExitStack() as slot:  # _events takes the parse slot once the input is large
            rows = _events(stream, max_events, slot)
    except ET.ParseError as exc:
        raise BadInputError(f"The XES file is not well-formed XML: {exc}.") from None
    except (OSError, EOFError) as exc:
        raise BadInputError(f"The XES file could not be read (damaged gzip?): {exc}.") from None
    if not rows:
        raise BadInputError("The XES file holds no <trace><event> elements: nothing to tag.")
    # in slices: one from_records call over 300k events holds the interpreter lock ~0.7 s,
    # stalling the event loop (/ready) meanwhile; between slices other threads get it
    frames = [pd.DataFrame.from_records(rows[start:start + _FRAME_SLICE])
              for start in range(0, len(rows), _FRAME_SLICE)]
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return frame.astype(object)


def _events(stream: IO[bytes], max_events: int | None, slot: ExitStack
            ) -> list[dict[str, str]]:
    """The event rows, trace attributes copied in; fed to expat in small chunks so that the
    token bound and the cancel flag are checked between them. Past GIL_BOUND_BYTES it waits
    for the process's parse slot (`slot` releases it)."""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(
        events=("start", "end", "comment", "pi"))
    rows: list[dict[str, str]] = []
    case: dict[str, str] = {}
    event: dict[str, str] | None = None
    path: list[ET.Element] = []
    trace_start = 0
    quiet = 0  # bytes fed since the last complete token
    fed = 0
    while chunk := stream.read(_FEED):
        checkpoint()
        fed += len(chunk)
        if fed > GIL_BOUND_BYTES >= fed - len(chunk):
            slot.enter_context(gil_bound_work())
        parser.feed(chunk)
        quiet += len(chunk)
        for kind, element in parser.read_events():  # type: ignore[misc]
            quiet = 0
            if kind not in ("start", "end") or not isinstance(element, ET.Element):
                continue
            tag = _local(element.tag)
            if kind == "start":
                path.append(element)
                if tag == "trace":
                    case, trace_start = {}, len(rows)
                elif (tag == "event" and len(path) >= 2
                      and _local(path[-2].tag) == "trace"):
                    event = {}
                continue
            path.pop()
            parent = _local(path[-1].tag) if path else ""
            if tag in ATTRIBUTE_TAGS and "key" in element.attrib:
                key, value = element.attrib["key"], element.attrib.get("value", "")
                if parent == "event" and event is not None:
                    event[key] = value
                elif parent == "trace":
                    case[CASE_PREFIX + key] = value
            elif tag == "event" and event is not None:
                rows.append(event)
                event = None
                del path[-1][-1]  # the event is the trace's last child: drop it (O(1))
                if max_events is not None and len(rows) > max_events:
                    raise ProblemError(413, f"The XES log has more than {max_events:,} events; "
                                            "the limit per request is that (split it).")
            elif tag == "trace":
                for row in rows[trace_start:]:
                    row.update(case)
                element.clear()
                if path:
                    del path[-1][-1]  # and the trace from the log
        if quiet > MAX_TOKEN_BYTES:
            raise ProblemError(413, f"The XES file has an XML token (a comment, text or tag) "
                                    f"longer than {MAX_TOKEN_BYTES // 1024:,} KB; XES needs "
                                    "none that long. Remove it, or split the file.")
    parser.close()
    return rows
