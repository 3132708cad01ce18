"""The one text transform that training and serving share for tasks."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_SPACE = re.compile(r"\s+")


def clean(text: str | None) -> str:
    """NFKC, lone surrogates and control characters out, whitespace collapsed."""
    if not text:
        return ""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return _SPACE.sub(" ", text).strip()


def task_text(title: str | None, description: str | None = None) -> str:
    """What the embedder sees: the title, then the description when there is one."""
    title, description = clean(title), clean(description)
    if not description:
        return title
    joiner = " " if title.endswith((".", "!", "?", ":")) else ". "
    return f"{title}{joiner}{description}"


def input_key(text: str) -> str:
    """A stable key for caching and for matching corrections: case-folded text, hashed."""
    return hashlib.sha256(clean(text).casefold().encode("utf-8")).hexdigest()[:32]
