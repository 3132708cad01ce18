"""Pure table helpers for the pages: read uploads and answers, filter, page.

No Streamlit and no HTTP here, so every function is cheap to test and the
pages stay short. The UI never imports `backend`: it only talks HTTP; reading and
writing tables go through `sift_tables`, the one table module the API uses too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

import sift_tables

UNCLASSIFIED = "Unclassified"
XES_SUFFIXES = (".xes", ".xes.gz")  # IEEE 1849 event logs, plain or gzip-compressed
_SOURCE_PREFIX = re.compile(r"^\s*([A-Za-z][\w.-]{0,63})\s*,\s*(.+)$")
# the apostrophe the API's CSV writer (sift_tables.neutralise) puts before a cell that
# would start a spreadsheet formula
_GUARD = f"'(?={sift_tables.FORMULA_START})"


class InputError(ValueError):
    """An upload the UI cannot use; the message says what to fix."""


def read_csv(data: bytes, required: Sequence[str]) -> pd.DataFrame:
    """Parse an uploaded CSV with the reader the API uses (`sift_tables`), so the page
    keeps exactly the rows the API would; its warnings are in `frame.attrs["warnings"]`."""
    try:
        table = sift_tables.read_table(data, required)
    except sift_tables.TableError as exc:
        raise InputError(exc.message) from None
    frame = table.frame.reset_index(drop=True)
    frame.attrs["warnings"] = list(table.warnings)
    return frame


def is_xes(filename: str) -> bool:
    """An XES event log by its name (`.xes`, `.xes.gz`), as process-mining tools export it."""
    return filename.lower().endswith(XES_SUFFIXES)


def read_answer_csv(data: bytes, required: Sequence[str]) -> pd.DataFrame:
    """A CSV the API wrote (`read_csv`), with each cell and header as the API read them: the
    apostrophe its formula-safe writer put before `=`, `+`, `-` or `@` is taken off again,
    so a negative number shows as one (the download puts it back)."""
    frame = read_csv(data, required)
    frame.columns = [re.sub(f"^{_GUARD}", "", str(c)) for c in frame.columns]
    for column in frame.columns:
        values = frame[column].astype(object)
        guarded = values.str.match(_GUARD, na=False).astype(bool)
        if guarded.any():
            frame[column] = values.where(~guarded, values.str[1:])
    return frame


def parse_pasted(text: str, default_source: str) -> pd.DataFrame:
    """Pasted lines: a CSV with a `log_message` header, else one line per log, either
    `Source,message` (a one-word source before the first comma) or just the message."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise InputError("Paste at least one log line.")
    if "log_message" in lines[0].lower():
        return read_csv("\n".join(lines).encode(), ("source", "log_message"))
    rows = []
    for line in lines:
        match = _SOURCE_PREFIX.match(line)
        rows.append(match.groups() if match else (default_source, line.strip()))
    return pd.DataFrame(rows, columns=["source", "log_message"], dtype=str)


def filter_rows(frame: pd.DataFrame, labels: Sequence[str], tiers: Sequence[str],
                unclassified_only: bool, label_col: str = "label", tier_col: str = "tier"
                ) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    if unclassified_only:
        mask &= frame[label_col] == UNCLASSIFIED
    if labels:
        mask &= frame[label_col].isin(labels)
    if tiers and tier_col in frame:
        mask &= frame[tier_col].isin(tiers)
    return frame[mask]


def page(frame: pd.DataFrame, number: int, size: int) -> pd.DataFrame:
    start = (max(number, 1) - 1) * size
    return frame.iloc[start:start + size]


def to_safe_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 RFC 4180 CSV in which no cell can start a formula (the API's writer)."""
    return sift_tables.to_safe_csv(frame).encode("utf-8")
