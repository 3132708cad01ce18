"""A tagged event log as sent back to sift (API or CLI): find its columns, then views, XES
and agreement with a label column it already carries.

A tagged table is any table with a case id, a timestamp and sift's step columns
(`step_name, confidence, abstained, predicted_step, reason, model_version`; written as
`sift_<name>` when the input already had a column of that name). The case and time
columns default to the step model's (matched ignoring case and separators).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from backend.core.agreement import agreement
from backend.core.errors import BadInputError
from backend.sessions.service import OUTPUT_COLUMNS
from backend.sessions.views import TOP_VARIANTS, LogColumns, process_views
from backend.sessions.xes_out import XesExport, write_xes
from sift_tables import normalize_header

OUTPUTS = (*OUTPUT_COLUMNS, "model_version")
PREFIX = "sift_"


@dataclass(frozen=True)
class TaggedColumns:
    """The columns of a tagged table, as named in it."""

    case: str
    timestamp: str
    outputs: dict[str, str]  # sift output name -> column (step_name always present)

    @property
    def log(self) -> LogColumns:
        return LogColumns(self.case, self.timestamp, self.outputs["step_name"])


def find_column(frame: pd.DataFrame, wanted: str) -> str | None:
    """`wanted` as named in `frame` (headers compared as everywhere in sift), or None."""
    if wanted in frame.columns:
        return wanted
    key = normalize_header(wanted)
    return next((str(c) for c in frame.columns if normalize_header(str(c)) == key), None)


def _need(frame: pd.DataFrame, wanted: str, what: str) -> str:
    found = find_column(frame, wanted)
    if found is None:
        shown = ", ".join(repr(str(c)) for c in frame.columns[:30])
        raise BadInputError(f"No {what} column {wanted!r} in the tagged log (found: {shown}). "
                            f"Name it with the `{what}_column` field.",
                            missing_columns=[wanted])
    return found


def tagged_columns(frame: pd.DataFrame, case: str, timestamp: str,
                   step: str | None = None) -> TaggedColumns:
    """Resolve the case, time and step columns; sift's other outputs are found beside the
    step column (same `sift_` prefix) when present."""
    if step is None:
        step = next((PREFIX * k + "step_name" for k in (2, 1, 0)
                     if PREFIX * k + "step_name" in frame.columns), "step_name")
    step_col = _need(frame, step, "step")
    prefix = step_col[:-len("step_name")] if step_col.endswith("step_name") else PREFIX
    outputs = {"step_name": step_col}
    for name in OUTPUTS[1:]:
        found = find_column(frame, prefix + name)
        if found is not None:
            outputs[name] = found
    return TaggedColumns(_need(frame, case, "case"), _need(frame, timestamp, "timestamp"),
                         outputs)


def tagged_views(frame: pd.DataFrame, cols: TaggedColumns, case: str | None = None,
                 top: int = TOP_VARIANTS, label_column: str | None = None) -> dict[str, Any]:
    """Process views of the tagged table, plus agreement with `label_column` when given."""
    views = process_views(frame, cols.log, case, top)
    if label_column:
        views["agreement"] = label_agreement(frame, cols, label_column)
    return views


def label_agreement(frame: pd.DataFrame, cols: TaggedColumns, label_column: str
                    ) -> dict[str, Any]:
    """sift's step against the log's own activity / label column, on the rows it fills
    (an abstained event counts as a disagreement: `Unclassified` is not the label)."""
    column = _need(frame, label_column, "label")
    if column == cols.outputs["step_name"]:
        raise BadInputError(f"{column!r} is sift's own step column; name the log's activity "
                            "or label column to compare with.")
    return agreement(frame[column].tolist(), frame[cols.outputs["step_name"]].astype(str)
                     .tolist(), column)


def tagged_xes(frame: pd.DataFrame, cols: TaggedColumns) -> XesExport:
    """The tagged table as XES (mapping in `backend.sessions.xes_out`)."""
    return write_xes(frame, cols.case, cols.timestamp, cols.outputs)
