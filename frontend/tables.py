"""Pure table helpers for the pages: read uploads, shape results, filter, export.

No Streamlit and no HTTP here, so every function is cheap to test and the
pages stay short. The UI never imports `backend`: it only talks HTTP; reading and
writing tables go through `sift_tables`, the one table module the API uses too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import numpy as np
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


def append_columns(frame: pd.DataFrame, outputs: dict[str, object]
                   ) -> tuple[pd.DataFrame, dict[str, str]]:
    """`frame` with the result columns after the input ones, as the API writes them: an
    input column named like a result (a labelled file's `target_label`) is kept and the
    result is `sift_<name>`; returns the frame and {result: column it got}. The reader's
    warnings and the renaming notes are in `frame.attrs["warnings"]`."""
    out, notes = sift_tables.append_columns(frame, outputs)  # type: ignore[arg-type]
    out.attrs["warnings"] = [*frame.attrs.get("warnings", []), *notes]
    names = dict(zip(outputs, [str(c) for c in out.columns[len(frame.columns):]], strict=True))
    return out, names


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


def records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, str]]:
    """Rows as JSON-ready dicts holding only `columns`."""
    return frame.loc[:, list(columns)].to_dict(orient="records")  # type: ignore[return-value]


def predictions_frame(predictions: Sequence[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(predictions))
    frame["confidence"] = frame["confidence"].astype(float)
    frame["reason"] = frame["reason"].fillna("") if "reason" in frame else ""
    return frame


def summarize(labels: pd.Series, tiers: pd.Series) -> dict[str, object]:
    """Coverage and counts, recomputed from rows (the API's summary is per chunk)."""
    total = len(labels)
    classified = int((labels != UNCLASSIFIED).sum())
    return {"total": total, "classified": classified,
            "coverage": classified / total if total else 0.0,
            "by_tier": tiers.value_counts().to_dict(), "by_label": labels.value_counts().to_dict()}


def coverage_at(confidence: np.ndarray, gated: np.ndarray, fixed: np.ndarray,
                threshold: float) -> float:
    """Share of rows labelled if the cut-off were `threshold`.

    `gated` rows (the model tier) count when their confidence reaches it; `fixed`
    rows (rules and LLM answers, which the request threshold does not gate) always do.
    """
    if len(confidence) == 0:
        return 0.0
    return float((fixed | (gated & (confidence >= threshold))).mean())


def coverage_curve(confidence: np.ndarray, gated: np.ndarray, fixed: np.ndarray,
                   points: int = 51) -> pd.DataFrame:
    """Coverage for thresholds 0..1, from the returned confidences alone (no API call)."""
    thresholds = np.linspace(0.0, 1.0, points)
    kept = np.sort(confidence[gated & ~fixed])
    n = max(len(confidence), 1)
    covered = int(fixed.sum()) + len(kept) - np.searchsorted(kept, thresholds, side="left")
    return pd.DataFrame({"threshold": thresholds, "coverage": covered / n})


def confidence_histogram(confidence: np.ndarray, bins: int = 20) -> pd.DataFrame:
    counts, edges = np.histogram(confidence, bins=bins, range=(0.0, 1.0))
    return pd.DataFrame({"confidence": [f"{lo:.2f}-{hi:.2f}" for lo, hi in
                                        zip(edges[:-1], edges[1:], strict=True)],
                         "rows": counts})


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


def session_chunks(frame: pd.DataFrame, session_col: str, max_rows: int
                   ) -> Iterator[pd.DataFrame]:
    """Slices of about `max_rows` rows that never split a session; each keeps the
    original index so the caller can restore the input order."""
    codes = pd.factorize(frame[session_col])[0]
    order = np.argsort(codes, kind="stable")
    ordered = frame.iloc[order]
    sizes = np.bincount(codes)
    start, rows = 0, 0
    for size in sizes:
        rows += int(size)
        if rows >= max_rows:
            yield ordered.iloc[start:start + rows]
            start, rows = start + rows, 0
    if rows:
        yield ordered.iloc[start:start + rows]


def to_safe_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 RFC 4180 CSV in which no cell can start a formula (the API's writer)."""
    return sift_tables.to_safe_csv(frame).encode("utf-8")
