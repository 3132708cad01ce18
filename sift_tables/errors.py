"""The one error the table package raises: an HTTP-like status and a message that says
what to fix (the API turns it into problem+json, the UI and CLIs show the message)."""

from __future__ import annotations

from typing import Any


class TableError(ValueError):
    """A table that cannot be used as sent: 413 (too big), 415 (not text), 422 (shape)."""

    def __init__(self, message: str, status: int = 422, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra
