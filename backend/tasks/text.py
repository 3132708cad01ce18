"""The one text transform that training and serving share for tasks."""

from __future__ import annotations

import re
import unicodedata

from backend.core.text import clean
from backend.core.text import input_key as input_key  # re-exported for the task callers

_SPACE = re.compile(r"\s+")


def task_text(title: str | None, description: str | None = None) -> str:
    """What the embedder sees: the title, then the description when there is one."""
    title, description = clean(title), clean(description)
    if not description:
        return title
    joiner = " " if title.endswith((".", "!", "?", ":")) else ". "
    return f"{title}{joiner}{description}"


# Ticket keys (PAY-1432), bracket tags ([URGENT]) and emojis say who filed a task and in
# which tool, not what kind of work it is; titles from several teams differ most in them.
_TICKET = re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d+\b")
_TAG = re.compile(r"\[([^\[\]]{1,20})\]")
_SYMBOL_CATEGORIES = ("So", "Sk", "Cs", "Co")


def model_text(text: str) -> str:
    """What a v2+ task model reads (features and embedding): `task_text` with ticket keys
    dropped, bracket tags reduced to their word, emojis and pictographs removed,
    lower-cased. Training and serving both call this; `input_key` stays on `task_text`,
    so stored feedback still matches."""
    text = _TICKET.sub(" ", text)
    text = _TAG.sub(r" \1 ", text)
    text = "".join(" " if unicodedata.category(ch) in _SYMBOL_CATEGORIES else ch for ch in text)
    return _SPACE.sub(" ", text).strip().lower()


def title_text(title: str | None) -> str:
    """The title alone as a v4 task model reads it beside `model_text(task_text(...))`."""
    return model_text(task_text(title))
