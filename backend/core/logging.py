"""Logging set-up shared by the API and the CLIs."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from backend.core.jsonlog import JsonFormatter, TextFormatter
from backend.core.redact import RedactingFilter


class CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at emit time.

    `logging.StreamHandler()` binds the stream it was built with; when a CLI is run more than
    once in a process (tests, notebooks) that stream may since have been closed, and every log
    line then turns into a "--- Logging error ---" traceback on the new stderr.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        """The stream is always the current stderr; StreamHandler.__init__ sets it once."""


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """`fmt="json"` (the API's default) writes one JSON object per line with request ids.

    Calling it again replaces sift's own handler instead of adding a second one.
    """
    handler = CurrentStderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h, CurrentStderrHandler)]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for root_handler in root.handlers:  # URL credentials never reach a log line
        if not any(isinstance(f, RedactingFilter) for f in root_handler.filters):
            root_handler.addFilter(RedactingFilter())
