"""The one reader: the same rules for the API's reader and the bulk engines' stream."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.bulk.formats import read_csv as bulk_read_csv
from sift_tables import Limits, TableError, read_table, to_safe_csv

REQUIRED = ("source", "log_message")
UNCLOSED = b'source,log_message\nnginx,"GET /a HTTP/1.1 200\nnginx,second\nnginx,third\n'


def test_unclosed_quote_is_one_row_per_line_in_the_api_reader() -> None:
    table = read_table(UNCLOSED, REQUIRED)
    assert table.frame["log_message"].tolist() == ["GET /a HTTP/1.1 200", "second", "third"]
    assert "line 2 opens a quote that never closes" in table.warnings[0]


def test_unclosed_quote_is_one_row_per_line_in_the_bulk_stream(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(UNCLOSED)
    _, records = bulk_read_csv(path, False, REQUIRED)
    rows = list(records)
    assert [r.line for r in rows] == [2, 3, 4]
    assert rows[0].error == "line 2 opens a quote that never closes"  # refused, reported
    assert [r.values for r in rows[1:]] == [("nginx", "second"), ("nginx", "third")]


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16", "utf-16-le", "utf-8-sig"])
def test_bulk_stream_decodes_as_the_api_does(tmp_path: Path, encoding: str) -> None:
    data = "Source;Log Message\nA;Grüße José\n".encode(encoding)
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    header, records = bulk_read_csv(path, False, REQUIRED)
    assert header == ["source", "log_message"]
    assert [r.values for r in records] == [("A", "Grüße José")]
    assert read_table(data, REQUIRED).frame.values.tolist() == [["A", "Grüße José"]]


def test_bulk_stream_refuses_a_column_named_twice(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"source,log_message,Log Message\nA,b,c\n")
    with pytest.raises(ValueError, match="'log_message', 'Log Message' all name"):
        bulk_read_csv(path, False, REQUIRED)


def test_row_and_column_limits_are_413() -> None:
    data = b"source,log_message\n" + b"A,b\n" * 6
    with pytest.raises(TableError) as rows:
        read_table(data, REQUIRED, limits=Limits(max_rows=5))
    assert rows.value.status == 413 and "MAX_ROWS_PER_REQUEST" in rows.value.message
    with pytest.raises(TableError) as cols:
        read_table(b"source,log_message,a,b\nA,b,c,d\n", REQUIRED, limits=Limits(max_columns=3))
    assert cols.value.status == 413 and "MAX_COLUMNS" in cols.value.message


def test_output_quotes_bare_cr_and_neutralises_after_whitespace() -> None:
    import pandas as pd

    text = to_safe_csv(pd.DataFrame({"a": ["disk\r=cmd", " =1", "\n@x", "ok"], "b": [1] * 4}))
    assert text == 'a,b\r\n"disk\r=cmd",1\r\n\' =1,1\r\n"\'\n@x",1\r\nok,1\r\n'
