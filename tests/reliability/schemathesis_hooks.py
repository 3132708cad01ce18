"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS): how to send the media types the
API documents that schemathesis has no built-in serializer for."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx: Any, value: Any) -> bytes:  # noqa: ARG001 (schemathesis's signature)
    """NDJSON bodies are documented as a string: send it as UTF-8 (lone surrogates kept as
    bytes, so invalid UTF-8 reaches the server too)."""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", errors="surrogatepass")
