"""Logging set-up shared by the API and the CLIs."""

from __future__ import annotations

import logging

from backend.core.redact import RedactingFilter


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """`fmt="json"` (the API's default) writes one JSON object per line with request ids."""
    if fmt == "json":
        from backend.core.jsonlog import JsonFormatter

        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root = logging.getLogger()
        root.handlers = [h for h in root.handlers if not getattr(h, "_sift_json", False)]
        handler._sift_json = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        root.setLevel(level.upper())
    else:
        logging.basicConfig(
            level=level.upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    for root_handler in logging.getLogger().handlers:  # URL credentials never reach a log line
        if not any(isinstance(f, RedactingFilter) for f in root_handler.filters):
            root_handler.addFilter(RedactingFilter())
