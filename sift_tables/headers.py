"""Header matching: column names compared after one normalisation on both sides.

`Log Message`, `log.message`, `LOG_MESSAGE` and `log:message` all name `log_message`;
`Case ID` names `case_id` and `case:concept:name` names `case_concept_name`. Two
columns that read as the same wanted name are refused by name, never guessed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

from sift_tables.errors import TableError

_SEPARATORS = re.compile(r"[\s:._\-]+")


def normalize_header(name: object) -> str:
    """The comparable form of a column name: case-folded, BOM and edges stripped, and runs
    of spaces, colons, dots, underscores or hyphens turned into one underscore."""
    text = str(name).replace("\ufeff", "").strip().casefold()
    return _SEPARATORS.sub("_", text).strip("_")


def match_columns(columns: Sequence[object], required: Iterable[str],
                  optional: Iterable[str] = ()) -> dict[str, str]:
    """Map actual header names to the wanted (canonical) ones; raise `TableError` naming
    missing required columns (with near-miss hints) or columns that collide.

    Returns `{actual: canonical}` for every wanted column found (renaming is then
    `frame.rename(columns=mapping)`); other columns are left alone.
    """
    required, optional = list(required), list(optional)
    wanted = {normalize_header(w): w for w in [*required, *optional]}
    seen: dict[str, list[str]] = {}
    for column in columns:
        key = normalize_header(column)
        if key in wanted:
            seen.setdefault(key, []).append(str(column))
    clashes = {wanted[k]: names for k, names in seen.items() if len(names) > 1}
    if clashes:
        described = "; ".join(f"{', '.join(repr(n) for n in names)} all name {canon!r}"
                              for canon, names in clashes.items())
        raise TableError(f"Duplicate column(s): {described}. Rename or remove all but one "
                         "(names are compared ignoring case, spaces, dots, colons, "
                         "underscores and hyphens).", duplicate_columns=sorted(clashes))
    missing = [r for r in required if normalize_header(r) not in seen]
    if missing:
        raise TableError(_missing_message(columns, missing, required),
                         missing_columns=missing)
    return {seen[k][0]: canon for k, canon in wanted.items() if k in seen}


def _missing_message(columns: Sequence[object], missing: list[str],
                     required: list[str]) -> str:
    normal = {normalize_header(c): str(c) for c in columns}
    hints = []
    for name in missing:
        close = difflib.get_close_matches(normalize_header(name), list(normal), n=1,
                                          cutoff=0.6)
        if close:
            hints.append(f"{normal[close[0]]!r} looks like a misspelling of {name!r}")
    shown = [repr(str(c)[:60]) for c in columns[:20]]
    found = ", ".join(shown) + (f" and {len(columns) - 20} more" if len(columns) > 20 else "")
    return (f"Missing required column(s): {', '.join(repr(m) for m in missing)}. "
            f"Found: {found or 'none'}. " + ("; ".join(hints) + ". " if hints else "")
            + f"The header row must contain: {', '.join(required)}.")
