"""Normalisation and template keys, shared by training and serving.

A *template key* is the lower-cased message with its variable parts masked and
whitespace collapsed. Lines that differ only in their variables share a key, so
the embedding tier embeds each key once, training splits by key so no template
is in both train and test, and the pattern counter counts lines per key.

Two passes. Shapes that span or hide inside tokens come first, each behind a
cheap guard: URLs, e-mail addresses, timestamps, paths (but not a socket address as
Java prints it, `/10.0.0.1:50010`: a value, as in HDFS, Hadoop, Spark and Zookeeper logs),
user names in prose, quoted values. Then every whitespace-separated token is looked at
once: a token with a digit in it (a number, an IP, a hex or block id, "local(0)") or a dotted
host name is a *value*, `<var>`, as Drain and the Loghub parsers treat it. One
placeholder for every kind of value keeps a field that holds an IP on one line
and "#3#" on the next in one template. What stays: a `name=`, `name:` or `name/` in
front (`uid=<var>`, `http/<var>`), a program's name before its `[pid]`
(`sshd[<var>]:`), the brackets and quotes around the token and the punctuation after
it, and short names that end in 0 ("eth0", "en0", "wl0": devices, not values); comma-
separated `key=value` pairs are masked pair by pair. Names and words carry what the
model reads, so they stay wherever a value can be cut out of the token. Values in `key=value`
form that have no digit stay as written (`user=root`, `tty=nodevssh`), like
any other word. Every mask treats the digits 1-9 alike (the classifier caches keys
by the line with those digits folded; a test checks it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# bump when the masks change: stored state keyed by template_key records the version it
# was keyed with, and backend/logs/rekey.py re-keys it from its stored example
# (3: a Java socket address is a value; as <path><var> it read like an HTTP request line)
# (4: "user unknown", "user authentication", ...: words after "user" that are no name)
KEY_VERSION = 4

_TLD = r"(?:com|net|org|edu|gov|mil|int|io|info|biz|local|internal|lan|[a-z]{2})"
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*"
_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
# words that follow "user" in prose and are not a user name: function words ("user not in
# sudoers") and the nouns "user" qualifies or states ("user unknown", "no more user
# authentication methods", "push user data"); masked, they turned a failed login into
# "user <user>", the shape of a person's session (key v4)
_FUNCTION_WORDS = (r"(?:not|is|was|has|had|does|did|in|on|from|with|for|to|of|the|a|an|and|or"
                   r"|invalid|unknown|authentication|request|requests|parameter|parameters"
                   r"|data|name|id|account|agent|interface|space|mode|session|sessions"
                   r"|input|profile|settings)")

_has_digit = re.compile(r"\d").search
_has_clock = re.compile(r"\d:\d\d:\d").search

# (guard, pattern, replacement), run in order on the whole line when the guard holds
_SHAPES: tuple[tuple[Callable[[str], object], re.Pattern[str], str], ...] = tuple(
    (guard, re.compile(pattern), repl)
    for guard, pattern, repl in (
        (lambda s: "://" in s, r"\b[a-z][a-z0-9+.\-]*://[^\s\"'<>]+", "<url>"),
        (lambda s: "@" in s, r"\b[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+\b", "<email>"),
        (_has_clock,
         rf"\b(?:{_DAY}\s+)?{_MON}\s+\d{{1,2}}\s+\d\d:\d\d:\d\d(?:\s+(?:[a-z]{{3,4}}\s+)?\d{{4}})?"
         r"|\b\d{4}-\d\d-\d\d[t ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:z|[+\-]\d\d:?\d\d)?", "<time>"),
        # a path, but not a socket address as Java prints it ("/10.0.0.1:50010"): a value
        (lambda s: "/" in s or "\\" in s,
         r"(?<![\w<])(?!/\d{1,3}(?:\.\d{1,3}){3}(?![\w\-~%$@+]|[.\\/][\w.\-~%$@+]))"
         r"(?:[a-z]:)?(?:[\\/][\w.\-~%$@+]+)+[\\/]?", "<path>"),
        (lambda s: "user" in s or "password" in s,
         r"\b(password for(?: invalid user)?|invalid user|for user|user)(?:\s+|\s*:\s*)"
         rf"(?!{_FUNCTION_WORDS}\b)(?![\s<])[^\s,;:()\[\]'\"]+", r"\1 <user>"),
        # quoted values, but not JSON keys ("status": 200 keeps its "status")
        (lambda s: "'" in s or '"' in s, r"(['\"])[^'\"\s]{1,80}\1(?!\s*:)", "<str>"),
    )
)

_NAME_PREFIX = re.compile(r"[a-z_][a-z_\-]*[=:/]|<path>").match
_TAGGED = re.compile(r"[a-z_][a-z0-9_.\-]*\[([^\[\]]*\d[^\[\]]*)\]").fullmatch
_NAME_WITH_DIGIT = re.compile(r"[a-z]{1,4}0").fullmatch
_HOST = re.compile(rf"(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+{_TLD}").fullmatch
_CLOSING = {")": "(", "]": "[", "}": "{"}
_LEADING = "([{\"'"
_TRAILING = ",;:.)]}\"'"


def _value_span(token: str) -> tuple[int, int] | None:
    """Where the value of a lower-cased token is, None when it has none (module docstring)."""
    start, end = 0, len(token)
    while start < end and token[start] in _LEADING:
        start += 1
    while end > start and token[end - 1] in _TRAILING:
        opener = _CLOSING.get(token[end - 1])
        if opener is not None and opener in token[start:end - 1]:
            break
        end -= 1
    prefix = _NAME_PREFIX(token, start, end)
    if prefix is not None:
        start = prefix.end()
    if start >= end:
        return None
    if _has_digit(token, start, end):
        if _NAME_WITH_DIGIT(token, start, end):
            return None
        tagged = _TAGGED(token, start, end)  # "sshd[4150]": the program stays
        if tagged is not None:
            return tagged.start(1), tagged.end(1)
    elif not _HOST(token, start, end):
        return None
    return start, end


def _masked(token: str, lower: str) -> str:
    """`token` with its value masked; `lower` is it lower-cased. A token of comma-separated
    `key=value` pairs ("host=web-03,cpu=cpu-total") is masked pair by pair."""
    if "," in lower and "=" in lower:
        return ",".join(_masked(t, lt) for t, lt in zip(token.split(","), lower.split(","),
                                                        strict=True))
    span = None if lower.isalpha() else _value_span(lower)
    return token if span is None else f"{token[:span[0]]}<var>{token[span[1]:]}"


# run in order on the joined tokens when the guard holds
_AFTER: tuple[tuple[Callable[[str], object], re.Pattern[str], str], ...] = tuple(
    (guard, re.compile(pattern), repl)
    for guard, pattern, repl in (
        # a value restated with its unit in brackets ("1190 bytes (1.16 kb)") or followed by
        # a unit of time ("<1 sec" beside "00:02") is one value
        (lambda s: "(<var>" in s, r"(<var>(?: [a-z]+)?) ?\(<var> ?[a-z%]{1,5}\)", r"\1"),
        (lambda s: "<var> " in s,
         r"<var> (?:ms|msecs?|secs?|seconds?|mins?|minutes?|hours?|days?)\b", "<var>"),
        # a list of values of any length is one value
        (lambda s: "<" in s, r"(<(?:var|path|str)>)(?:[ ,.:/_\-]*\1)+", r"\1"),
        (lambda s: "(" in s, r"\( ?(?:<\w+>)? ?\)", "(<*>)"),
    )
)


def template_key(message: str) -> str:
    """Mask the variables of one message; lines of one template share the result."""
    text = message.lower()
    for guard, pattern, repl in _SHAPES:
        if guard(text):
            text = pattern.sub(repl, text)
    text = " ".join([t if t.isalpha() else _masked(t, t) for t in text.split()])
    for guard, pattern, repl in _AFTER:
        if guard(text):
            text = pattern.sub(repl, text)
    return text


def template_keys(messages: Iterable[str]) -> list[str]:
    return [template_key(m) for m in messages]


_SHAPES_ANY_CASE = tuple((guard, re.compile(p.pattern, re.IGNORECASE), repl)
                         for guard, p, repl in _SHAPES)


def masked_example(message: str) -> str:
    """The line as written, with what its key masks masked: an example that can be shown
    (no IPs, ids, user names, paths or quoted values) and whose key is the line's key."""
    text = message
    for guard, pattern, repl in _SHAPES_ANY_CASE:
        if guard(text.lower()):
            text = pattern.sub(repl, text)
    return " ".join(_masked(token, token.lower()) for token in text.split())
