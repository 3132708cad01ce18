"""Structured logs: one JSON object per line, tagged with the current request id.

Log shippers (Loki, CloudWatch, ELK) parse these without regexes, and the
request id ties a log line to the `X-Request-ID` the client saw.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Values that must never reach a log line, whatever a caller passes in `extra`.
_SECRET_KEYS = re.compile(r"token|secret|password|api[_-]?key|authorization|cookie", re.I)
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    """Mask bearer tokens that slipped into a message."""
    return _BEARER.sub(r"\1***", text)


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "msg", "request_id", ...extra}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_"):
                continue
            entry[key] = "***" if _SECRET_KEYS.search(key) else value
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


# C0/C1 controls and Unicode line breaks: in a text log they could end a line and forge
# the next one (a request path holding %0d%0a), or drive the terminal (ESC).
_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def escape_controls(text: str) -> str:
    """`text` on one line: control characters (tab aside) written as escapes."""
    return _CONTROLS.sub(lambda m: _NAMED.get(m[0]) or m[0].encode("unicode_escape")
                         .decode("ascii"), text)


def _block(text: str) -> str:
    """A traceback or stack, each line escaped and indented, so none of its lines can pass
    for a log line of its own."""
    return "\n".join("    " + escape_controls(line) for line in text.splitlines())


class TextFormatter(logging.Formatter):
    """The human format (LOG_FORMAT=text), with the request id appended when there is one.
    Whatever a request brought in (path, query, headers) stays on its own line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return escape_controls(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:  # noqa: N802
        return _block(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return _block(super().formatStack(stack_info))

    def format(self, record: logging.LogRecord) -> str:
        line = redact(super().format(record))
        request_id = request_id_var.get()
        return f"{line} [req {request_id}]" if request_id else line
