"""An event log as sent (CSV, XES or gzip-compressed XES) -> a frame, for CLI and API alike."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from backend.core.tabular import read_table
from backend.sessions.columns import AlignedEvents, align_columns, complete_columns
from backend.sessions.xes import looks_like_xes, read_xes


def read_event_bytes(data: bytes, filename: str | None, required: Sequence[str],
                     max_rows: int | None = None, max_bytes: int = 1 << 30
                     ) -> tuple[pd.DataFrame, list[str]]:
    """The events and any reading warnings; XES by name or content, else CSV (its `required`
    headers renamed to these names by the reader)."""
    if looks_like_xes(data, filename):
        return read_xes(data, max_bytes=max_bytes, max_events=max_rows), []
    table = read_table(data, required, max_rows)
    return table.frame, table.warnings


def read_model_events(data: bytes, filename: str | None, required: Sequence[str],
                      optional: Sequence[str], max_rows: int | None = None,
                      max_bytes: int = 1 << 30) -> tuple[AlignedEvents, list[str]]:
    """An event file for a step model, its headers matched to the model's once: by the CSV
    reader (required and feature columns in one pass), or after reading an XES log."""
    if looks_like_xes(data, filename):
        events = read_xes(data, max_bytes=max_bytes, max_events=max_rows)
        return align_columns(events, required, optional), []
    table = read_table(data, required, max_rows, optional)
    return complete_columns(table.frame, optional, table.renamed), table.warnings


def read_event_file(path: Path) -> pd.DataFrame:
    """A training log from disk: `.xes` / `.xes.gz` by the XES reader, else CSV with blanks
    kept as NaN (the encoders and missing indicators treat them as missing)."""
    name = path.name.lower()
    if name.endswith((".xes", ".xes.gz")):
        return read_xes(path.read_bytes())
    return pd.read_csv(path, dtype=str, keep_default_na=True, low_memory=False)
