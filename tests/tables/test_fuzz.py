"""Property-based fuzzing of the one table module: hostile CSV bodies either read with
every row (and, where the text round-trips, every message) or are refused with a
`TableError` that says what is wrong; output is RFC 4180 and formula-safe.

The quick profile runs in `make test`; the long one is marked slow.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sift_tables import Limits, TableError, read_table, to_safe_csv
from tests.tables.strategies import PIECES, CsvBody, cells, csv_bodies, garbage

REQUIRED = ("source", "log_message")
QUICK = settings(max_examples=60, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
LONG = settings(QUICK, max_examples=1_000, derandomize=False)


def check_csv_body(body: CsvBody) -> None:
    try:
        table = read_table(body.data, REQUIRED, limits=Limits(max_columns=5_000))
    except TableError as exc:
        assert exc.status in (413, 415, 422) and len(exc.message) > 20
        assert body.duplicate or body.columns > 5_000 or body.messages is None or (
            b"\x00" in body.data), exc.message
        return
    assert not body.duplicate, "a repeated column must be refused"
    assert len(table.frame) == body.rows, table.warnings
    assert {"source", "log_message"} <= set(table.frame.columns)
    if body.messages is not None:
        assert table.frame["log_message"].tolist() == body.messages


def check_garbage(data: bytes) -> None:
    try:
        table = read_table(data, REQUIRED)
    except TableError as exc:
        assert exc.status in (413, 415, 422) and exc.message
        return
    assert {"source", "log_message"} <= set(table.frame.columns) and len(table.frame) >= 1


def check_output(values: list[str]) -> None:
    frame = pd.DataFrame({"message": values, "n": range(len(values))})
    text = to_safe_csv(frame)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == len(values) + 1
    for row, original in zip(rows[1:], values, strict=True):
        cell = row[0]
        assert cell in (original, "'" + original)
        assert cell.startswith("'") or cell.lstrip(" \t\r\n")[:1] not in ("=", "+", "-", "@")
        assert not cell.startswith(("\t", "\r"))


@QUICK
@given(csv_bodies())
def test_fuzz_csv_rows_out_equal_rows_in_or_a_named_refusal(body: CsvBody) -> None:
    check_csv_body(body)


@QUICK
@given(garbage)
def test_fuzz_garbage_is_read_or_refused_never_crashes(data: bytes) -> None:
    check_garbage(data)


@QUICK
@given(st.lists(cells | st.sampled_from(PIECES), min_size=1, max_size=20))
def test_fuzz_output_is_rfc4180_and_formula_safe(values: list[str]) -> None:
    check_output(values)


@pytest.mark.slow
@LONG
@given(csv_bodies())
def test_fuzz_long_csv_rows_out_equal_rows_in_or_a_named_refusal(body: CsvBody) -> None:
    check_csv_body(body)


@pytest.mark.slow
@LONG
@given(garbage)
def test_fuzz_long_garbage_is_read_or_refused_never_crashes(data: bytes) -> None:
    check_garbage(data)
