"""Text cleaning and the correction key that every feature's feedback matches on."""

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


def input_key(text: str) -> str:
    """A stable key for caching and for matching corrections: case-folded text, hashed."""
    return hashlib.sha256(clean(text).casefold().encode("utf-8")).hexdigest()[:32]
