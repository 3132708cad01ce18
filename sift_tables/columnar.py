"""The vectorised form of `to_safe_csv` for the common table: text and number columns.

Byte for byte what the `csv` module writes through `neutralise` (a test compares them
on generated tables), but per column in Arrow kernels instead of per cell in Python:
10,000 rows x 7 columns in a few milliseconds instead of ~100. Frames it cannot write
exactly (one column, dates, mixed objects) return None and take the cell-by-cell path.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# how a cell that neutralise() guards begins: a tab or CR, or = + - @ after any leading
# spaces, tabs, CR or LF; neutralise() and this columnar writer both use it, and the UI
# strips the guard again for display
FORMULA_START = r"(?:[\t\r]|[ \t\r\n]*[=+\-@])"
# csv.QUOTE_MINIMAL with "," and "\r\n": quote a cell holding a comma, quote, CR or LF
_NEEDS_QUOTES = '[,"\r\n]'


def columnar_csv(frame: pd.DataFrame, neutralise: Callable[[Any], Any]) -> str | None:
    """RFC 4180 CSV of `frame` (header neutralised by `neutralise`, CRLF rows), or None
    when a column is of a kind only the cell-by-cell writer renders exactly."""
    if len(frame.columns) < 2:  # the csv module quotes a lone empty field: leave it to it
        return None
    header = io.StringIO()
    csv.writer(header, lineterminator="\r\n").writerow([neutralise(str(c))
                                                         for c in frame.columns])
    if not len(frame):
        return header.getvalue()
    columns = []
    for name in frame.columns:
        cells = _column(frame[name])
        if cells is None:
            return None
        columns.append(cells)
    rows = pc.binary_join_element_wise(*columns, _text(","))
    rows = pc.binary_join_element_wise(rows, _text("\r\n"), _text(""))
    return header.getvalue() + "".join(rows.to_pylist())


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())


def _column(series: pd.Series) -> pa.Array | None:
    """One column as quoted, formula-safe text cells; None when not plain text/numbers."""
    kind = series.dtype.kind
    if kind in "fiub" and isinstance(series.dtype, np.dtype):  # NA-able extension: not here
        values = series.to_numpy(dtype=object) if kind != "f" else series.to_numpy()
        if kind == "f":  # NaN is written empty; repr() is what the csv module writes
            text = [repr(v) if v == v else "" for v in values.tolist()]
        else:
            text = [str(v) for v in values.tolist()]
        return pa.array(text, pa.large_string())
    if not (pd.api.types.is_string_dtype(series.dtype) or series.dtype == np.dtype(object)):
        return None
    try:
        cells = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None
    if pa.types.is_null(cells.type):  # nothing but missing cells
        return pa.array([""] * len(cells), pa.large_string())
    if not (pa.types.is_string(cells.type) or pa.types.is_large_string(cells.type)):
        return None
    cells = pc.fill_null(cells.cast(pa.large_string()), "")
    formula = pc.match_substring_regex(cells, "^" + FORMULA_START)
    if pc.any(formula).as_py():
        cells = pc.if_else(formula, pc.binary_join_element_wise(_text("'"), cells, _text("")),
                           cells)
    quote = pc.match_substring_regex(cells, _NEEDS_QUOTES)
    if pc.any(quote).as_py():
        quoted = pc.binary_join_element_wise(
            _text('"'), pc.replace_substring(cells, '"', '""'), _text('"'), _text(""))
        cells = pc.if_else(quote, quoted, cells)
    return cells
