"""The stated level of a log line: one mapping from the many spellings, and how a model reads it.

Every door hands the level it knows (a raw log's Level field, a `level` /
`severity` column or JSON field, OTLP `severity_number` / `severity_text`) to
the classifier as the record's third value; this module is the one place that
decides what the value means. syslog, log4j, Python, Java util logging, Android
(`V D I W E F A`), Windows event levels and OTLP severity numbers (1-24) all
land on five classes. Anything else (a host name in a field Loghub calls
"Level", a typo) is not a level and counts as unknown.

A model trained with the level (`model.json` `level_feature: "onehot"`) reads it
as five indicator columns beside the text features; its cache key is the
template key prefixed by the class and a unit separator, which a template key
never contains (template_key collapses every whitespace character, `\\x1f`
included), so a message cannot pose as a level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import sparse

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR", "FATAL")

_WORDS = {
    "trace": "DEBUG", "debug": "DEBUG", "dbg": "DEBUG", "fine": "DEBUG", "finer": "DEBUG",
    "finest": "DEBUG", "verbose": "DEBUG", "v": "DEBUG", "d": "DEBUG",
    "info": "INFO", "information": "INFO", "informational": "INFO", "notice": "INFO",
    "config": "INFO", "i": "INFO",
    "warn": "WARN", "warning": "WARN", "w": "WARN",
    "error": "ERROR", "err": "ERROR", "severe": "ERROR", "e": "ERROR",
    "crit": "FATAL", "critical": "FATAL", "fatal": "FATAL", "alert": "FATAL",
    "emerg": "FATAL", "emergency": "FATAL", "panic": "FATAL", "f": "FATAL", "a": "FATAL",
    "assert": "FATAL",
}
_OTLP_RANGES = ((1, "DEBUG"), (5, "DEBUG"), (9, "INFO"), (13, "WARN"), (17, "ERROR"),
                (21, "FATAL"))


def normalize_level(value: object) -> str | None:
    """One of LEVELS, or None when the value states no level.

    Words are matched case-insensitively after trimming (`WARNING`, `notice`, `E`,
    Apache 2.4's `core:crit`); integers are OTLP severity numbers (1-4 TRACE and 5-8
    DEBUG -> DEBUG, 9-12 INFO, 13-16 WARN, 17-20 ERROR, 21-24 FATAL), the one numeric
    scale a level field carries across the doors (0 is OTLP's "unspecified")."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        if value != value or float(value) != int(value):  # NaN, 17.5
            return None
        return _otlp(int(value))
    if not isinstance(value, str):
        return None
    word = value.strip().lower()
    if not word:
        return None
    if ":" in word:  # Apache 2.4 "core:error"
        word = word.rsplit(":", 1)[1]
    if word.isdigit():
        return _otlp(int(word))
    if word.startswith("severity_number_"):  # OTLP enum names: SEVERITY_NUMBER_ERROR2
        word = word.removeprefix("severity_number_").rstrip("0123456789")
    return _WORDS.get(word)


def _otlp(number: int) -> str | None:
    if not 1 <= number <= 24:
        return None
    return next(level for start, level in reversed(_OTLP_RANGES) if number >= start)


LEVEL_FEATURE = "level_feature"  # model.json key: how the model reads stated levels
ONEHOT = "onehot"  # the level as indicator columns (v5 on); True: the older text marker
_SEP = "\x1f"


def uses_level(config: Mapping[str, object]) -> bool:
    """Whether a model (its model.json config) reads stated levels at all."""
    return bool(config.get(LEVEL_FEATURE))


def reads_onehot(config: Mapping[str, object]) -> bool:
    return config.get(LEVEL_FEATURE) == ONEHOT


def with_level(key: str, level: object, onehot: bool = False) -> str:
    """The key a level-reading model caches and answers by. Onehot models: `ERROR\\x1fkey`
    (split again by `split_levels`); older models: the text marker `[lvl_error] key`
    that they embedded. A missing or unknown level leaves the key as it is."""
    norm = normalize_level(level)
    if norm is None:
        return key
    return f"{norm}{_SEP}{key}" if onehot else f"[lvl_{norm.lower()}] {key}"


def split_levels(keys: Sequence[str]) -> tuple[list[str], list[str | None]]:
    """(bare keys, levels) of keys built by `with_level(..., onehot=True)`."""
    bare: list[str] = []
    levels: list[str | None] = []
    for key in keys:
        head, sep, rest = key.partition(_SEP)
        if sep:
            bare.append(rest)
            levels.append(head)
        else:
            bare.append(key)
            levels.append(None)
    return bare, levels


def level_columns(levels: Sequence[str | None], weight: float = 1.0) -> sparse.csr_matrix:
    """Five indicator columns (LEVELS order), all zero for an unknown level."""
    cols = [LEVELS.index(lv) for lv in levels if lv in LEVELS]
    indptr = np.zeros(len(levels) + 1, dtype=np.int32)
    np.cumsum([lv in LEVELS for lv in levels], out=indptr[1:])
    data = np.full(len(cols), weight, dtype=np.float32)
    return sparse.csr_matrix((data, np.asarray(cols, dtype=np.int32), indptr),
                             shape=(len(levels), len(LEVELS)))


LEVEL_COLUMNS = ("level", "severity")  # the names a table or record states its level under


def level_column(table: object) -> list[object] | None:
    """The values of a table's `level` or `severity` column (any case; the first found), or
    None when it has neither (a pandas DataFrame, or anything with columns and [name])."""
    columns = getattr(table, "columns", ())
    names = {str(c).lower(): c for c in columns}
    for name in LEVEL_COLUMNS:
        if name in names:
            return list(table[names[name]].tolist())  # type: ignore[index]
    return None
