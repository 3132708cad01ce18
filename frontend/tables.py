"""Pure table helpers for the pages: read uploads, shape results, filter, export.

No Streamlit and no HTTP here, so every function is cheap to test and the
pages stay short. The UI never imports `backend`: it only talks HTTP.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

UNCLASSIFIED = "Unclassified"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SOURCE_PREFIX = re.compile(r"^\s*([A-Za-z][\w.-]{0,63})\s*,\s*(.+)$")


class InputError(ValueError):
    """An upload the UI cannot use; the message says what to fix."""


def decode(data: bytes) -> str:
    """Bytes -> text: BOM-marked UTF-8/16, plain UTF-8, else Latin-1 (never fails)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:4096]:
        raise InputError("The file contains binary data; upload a plain-text CSV file.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_csv(data: bytes, required: Sequence[str]) -> pd.DataFrame:
    """Parse an uploaded CSV as text columns; required columns matched case-insensitively."""
    if not data.strip():
        raise InputError(f"The file is empty. Upload a CSV whose header row contains: "
                         f"{', '.join(required)}.")
    text = decode(data)
    try:
        delimiter = csv.Sniffer().sniff(text[:20000], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            na_filter=False, skip_blank_lines=True, on_bad_lines="warn",
                            engine="python")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise InputError(f"The file could not be read as CSV ({exc}).") from exc
    normal = {str(c).strip().lower().replace(" ", "_"): c for c in frame.columns}
    missing = [r for r in required if r not in normal]
    if missing:
        found = ", ".join(repr(str(c)) for c in frame.columns) or "none"
        raise InputError(f"Missing column(s) {', '.join(repr(m) for m in missing)}. Found: "
                         f"{found}. The header row must contain: {', '.join(required)}.")
    frame = frame.rename(columns={normal[r]: r for r in required})
    if frame.empty:
        raise InputError("The file has a header row but no data rows.")
    return frame.reset_index(drop=True)


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


def neutralise(value: object) -> object:
    """Spreadsheet-safe text: a cell that would start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_safe_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with every text cell (and header) protected against formula injection."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    safe.columns = [str(neutralise(str(c))) for c in safe.columns]
    return safe.to_csv(index=False, lineterminator="\n").encode("utf-8")
