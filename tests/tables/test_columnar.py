"""The vectorised CSV writer gives the cell-by-cell writer's bytes, or steps aside."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sift_tables.columnar import columnar_csv
from sift_tables.writer import csv_by_cell, neutralise, to_safe_csv

# text that exercises quoting and formula guards: separators, quotes, CR/LF, blanks
TEXT = st.text(alphabet=st.sampled_from(list('ab ,"\r\n\t=+-@\'é😀;0')), max_size=12)
CELLS = st.one_of(TEXT, st.none())


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(CELLS, TEXT, st.floats(allow_nan=True), st.integers(-9, 99)),
                     max_size=20))
def test_columnar_writer_gives_the_cell_by_cell_bytes(rows: list[tuple]) -> None:
    frame = pd.DataFrame(rows, columns=["=a", "b c", "conf", "n"])
    frame["conf"] = frame["conf"].astype("float64")
    frame["n"] = frame["n"].astype("int64")
    frame["s"] = pd.Series([r[1] for r in rows], dtype="str")
    fast = columnar_csv(frame, neutralise)
    assert fast is not None
    assert fast == csv_by_cell(frame)
    assert list(csv.reader(io.StringIO(fast, newline="")))[1:] == [
        [_shown(v) for v in row] for row in frame.astype(object).to_numpy().tolist()]


def _shown(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return neutralise(value) if isinstance(value, str) else str(value)


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"only": ["", "x"]}),  # one column: the csv module quotes a lone ""
    pd.DataFrame({"a": ["x"], "when": pd.to_datetime(["2025-01-01"])}),
    pd.DataFrame({"a": ["x", "y"], "mixed": ["s", 3]}),
    pd.DataFrame({"a": ["x", "y"], "n": pd.array([1, None], dtype="Int64")}),
])
def test_columnar_writer_steps_aside_for_other_columns(frame: pd.DataFrame) -> None:
    assert columnar_csv(frame, neutralise) is None
    assert to_safe_csv(frame) == csv_by_cell(frame)


def test_columnar_writer_neutralises_and_quotes() -> None:
    frame = pd.DataFrame({"msg": ["=HYPERLINK(1)", " @x", "a,b", 'say "hi"', "ok"],
                          "conf": np.array([1.0, 0.5, 1e-05, float("nan"), 0.25])})
    assert columnar_csv(frame, neutralise) == (
        "msg,conf\r\n'=HYPERLINK(1),1.0\r\n' @x,0.5\r\n\"a,b\",1e-05\r\n"
        "\"say \"\"hi\"\"\",\r\nok,0.25\r\n")
