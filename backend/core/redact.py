"""Credentials out of what is shown or logged (issue 19)."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit, urlunsplit


def redact_url(url: str) -> str:
    """`url` without `user:password@` (kept for the connection, never shown or logged)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


_URL_CREDENTIALS = re.compile(r"//[^/\s:@]+:[^/\s@]*@")
# a credential passed in a query string (?token=, &api_key=, ...): its value
_QUERY_SECRET = re.compile(
    r"(?i)([?&][\w.-]*(?:token|key|secret|password|auth)[\w.-]*=)[^&#\s\"']+")


def redact_text(text: str) -> str:
    """`text` with the `user:password@` of every URL in it, and the values of query
    parameters named like credentials, masked."""
    return _QUERY_SECRET.sub(r"\1***", _URL_CREDENTIALS.sub("//***@", text))


class RedactingFilter(logging.Filter):
    """A handler filter: no log line carries URL credentials (an HTTP client logging the
    URL it calls, an error quoting one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "@" in message or "=" in message:
            cleaned = redact_text(message)
            if cleaned != message:
                record.msg, record.args = cleaned, ()
        return True
