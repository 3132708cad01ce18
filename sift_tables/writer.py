"""Formula-safe RFC 4180 output, and output columns that never overwrite input ones."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sift_tables.columnar import FORMULA_START, columnar_csv
from sift_tables.headers import normalize_header

_TRIGGERS = frozenset("=+-@\t\r\n ")  # first characters worth the pattern's look
_FORMULA_CELL = re.compile(FORMULA_START)
PREFIX = "sift_"


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (`= + - @`, also after leading
    spaces, tabs, CR or LF) gets a leading apostrophe; anything else is returned as is."""
    if type(value) is not str or not value or value[0] not in _TRIGGERS:
        return value
    return "'" + value if _FORMULA_CELL.match(value) else value


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return neutralise(value)


def to_safe_csv(frame: pd.DataFrame) -> str:
    """RFC 4180 CSV (CRLF rows, any cell holding a delimiter, quote, CR or LF quoted) in
    which no cell can start a formula. Cost grows with the cells, not the columns; text
    and number columns are written by Arrow kernels (sift_tables.columnar), the same bytes."""
    wide = len(frame.columns) > max(64, len(frame))  # per-column kernels cost more there
    fast = None if wide else columnar_csv(frame, neutralise)
    return fast if fast is not None else csv_by_cell(frame)


def csv_by_cell(frame: pd.DataFrame) -> str:
    """`to_safe_csv` one cell at a time: any column kind (dates, mixed objects)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(str(c)) for c in frame.columns])
    values = frame.astype(object).to_numpy() if len(frame.columns) else []
    writer.writerows([_cell(v) for v in row] for row in values)
    return out.getvalue()


def append_columns(frame: pd.DataFrame, outputs: Mapping[str, Sequence[Any] | Any]
                   ) -> tuple[pd.DataFrame, list[str]]:
    """`frame` with the `outputs` columns added after the input ones; an output whose name
    matches an input column (compared as headers are) is written as `sift_<name>`
    instead, so the input column survives, and a warning says so."""
    taken = {normalize_header(c) for c in frame.columns}
    names: dict[str, str] = {}
    warnings = []
    for name in outputs:
        target = name
        while normalize_header(target) in taken:
            target = PREFIX + target
        if target != name:
            warnings.append(f"the input already has a column named like {name!r}; it is kept "
                            f"as sent and the result is in {target!r}")
        taken.add(normalize_header(target))
        names[name] = target
    added = pd.DataFrame({names[k]: v for k, v in outputs.items()}, index=frame.index)
    return pd.concat([frame, added], axis=1), warnings


def output_names(columns: Sequence[object], outputs: Sequence[str]) -> dict[str, str]:
    """The names `append_columns` would give `outputs` next to input `columns`."""
    probe = pd.DataFrame(columns=[str(c) for c in columns])
    frame, _ = append_columns(probe, dict.fromkeys(outputs, []))
    return dict(zip(outputs, [str(c) for c in frame.columns[len(columns):]], strict=True))
