"""Normalisation and template keys, shared by training and serving.

A *template key* is the lower-cased message with its variable parts masked
(numbers, ids, IPs and host names, paths, hex, timestamps, quoted values,
user names) and whitespace collapsed. Lines that differ only in their
variables share a key, so the embedding tier embeds each key once, and
training splits by key so no template is in both train and test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

_TLD = r"(?:com|net|org|edu|gov|mil|int|io|info|biz|local|internal|lan|[a-z]{2})"
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*"
_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
# words that follow "user" in prose ("user not in sudoers") and are not a user name
_FUNCTION_WORDS = r"(?:not|is|was|has|had|does|did|in|on|from|with|for|to|of|the|a|an|and|or)"
_TOKEN_END = r"[^\s=:,;()\[\]{}'\"<>|]"


_has_digit = re.compile(r"\d").search


# (guard, pattern, replacement): a mask runs only when its cheap guard holds.
# Order matters: wide shapes first, the generic number mask last.
_MASKS: tuple[tuple[Callable[[str], object], re.Pattern[str], str], ...] = tuple(
    (guard, re.compile(pattern), repl)
    for guard, pattern, repl in (
        (lambda s: "://" in s, r"\b[a-z][a-z0-9+.\-]*://[^\s\"'<>]+", "<url>"),
        (lambda s: "@" in s, r"\b[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+\b", "<email>"),
        (lambda s: "-" in s,
         r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "<id>"),
        (lambda s: ":" in s,
         rf"\b{_DAY}\s+{_MON}\s+\d{{1,2}}\s+\d\d:\d\d:\d\d(?:\s+\d{{4}})?"
         r"|\b\d{4}-\d\d-\d\d[t ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:z|[+\-]\d\d:?\d\d)?", "<time>"),
        (lambda s: "." in s or ":" in s,
         r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?(?![\w.])"
         r"|\b(?:[0-9a-f]{1,4}:){3,7}[0-9a-f]{1,4}\b"
         rf"|(?<![\w.\-])(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+{_TLD}(?![\w.(\-])", "<host>"),
        (_has_digit, r"\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", "<hex>"),
        (lambda s: "/" in s or "\\" in s,
         r"(?<![\w<])(?:[a-z]:)?(?:[\\/][\w.\-~%$@+]+)+[\\/]?", "<path>"),
        (lambda s: "user" in s or "password" in s,
         r"\b(password for(?: invalid user)?|invalid user|for user|user)(?:\s+|\s*[=:]\s*)"
         rf"(?!{_FUNCTION_WORDS}\b)(?![\s<])[^\s,;:()\[\]'\"]+", r"\1 <user>"),
        # quoted values, but not JSON keys ("status": 200 keeps its "status")
        (lambda s: "'" in s or '"' in s, r"(['\"])[^'\"\s]{1,80}\1(?!\s*:)", "<str>"),
        (_has_digit, rf"(?<!{_TOKEN_END}){_TOKEN_END}*\d{_TOKEN_END}*", "<num>"),
        (lambda s: "(" in s, r"\(\s*(?:<\w+>)?\s*\)", "(<*>)"),
        (lambda s: "<" in s, r"(<(?:num|host|hex|path|str|id)>)(?:[\s,.:/_\-]*\1)+", r"\1"),
    )
)
_SPACES = re.compile(r"\s+")


def template_key(message: str) -> str:
    """Mask the variables of one message; lines of one template share the result."""
    text = message.lower()
    for guard, pattern, repl in _MASKS:
        if guard(text):
            text = pattern.sub(repl, text)
    return _SPACES.sub(" ", text).strip()


def template_keys(messages: Iterable[str]) -> list[str]:
    return [template_key(m) for m in messages]
