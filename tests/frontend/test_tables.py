"""The UI's pure table helpers: reading uploads, coverage maths, filters, safe export."""

from __future__ import annotations

import codecs
import io

import pandas as pd
import pytest

from frontend import tables

REQUIRED = ("source", "log_message")


def test_read_csv_semicolon_bom_and_header_case() -> None:
    data = codecs.BOM_UTF8 + b"Source;Log Message;extra\nA;hello; x\nB;bye;y\n"
    frame = tables.read_csv(data, REQUIRED)
    assert list(frame.columns) == ["source", "log_message", "extra"]
    assert frame["log_message"].tolist() == ["hello", "bye"]


def test_read_csv_latin1_keeps_text() -> None:
    frame = tables.read_csv("source,log_message\nA,caf\u00e9 ferm\u00e9\n".encode("latin-1"),
                            REQUIRED)
    assert frame.loc[0, "log_message"] == "caf\u00e9 ferm\u00e9"


@pytest.mark.parametrize(("data", "expected"), [
    (b"", "The file is empty"),
    (b"source,message\nA,b\n", "Missing required column(s): 'log_message'. Found: 'source', "
                                "'message'"),
    (b"source,log_message\n", "no data rows"),
    (b"PK\x03\x04\x00\x00binary", "a zip archive, not a CSV file"),
    (b"source,log_message,Log Message\nA,b,c\n", "'log_message', 'Log Message' all name"),
])
def test_read_csv_bad_file_says_what_to_fix(data: bytes, expected: str) -> None:
    with pytest.raises(tables.InputError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        tables.read_csv(data, REQUIRED)


def test_parse_pasted_sources_and_plain_lines() -> None:
    frame = tables.parse_pasted("ModernCRM,User a logged in.\n\nDisk full on /dev/sda1, "
                                "node 3\n", "Pasted")
    assert frame.values.tolist() == [["ModernCRM", "User a logged in."],
                                     ["Pasted", "Disk full on /dev/sda1, node 3"]]


def test_parse_pasted_csv_with_header() -> None:
    frame = tables.parse_pasted("source,log_message\nA,one\nB,two", "X")
    assert frame["source"].tolist() == ["A", "B"]


def test_filter_rows_and_page() -> None:
    frame = pd.DataFrame({"label": ["A", "Unclassified", "B", "Unclassified"],
                          "tier": ["rules", "model", "model", "none"]})
    assert tables.filter_rows(frame, [], [], True).index.tolist() == [1, 3]
    assert tables.filter_rows(frame, ["A", "B"], ["model"], False).index.tolist() == [2]
    assert tables.page(frame, 2, 3).index.tolist() == [3]


def test_to_safe_csv_neutralises_formulas_and_round_trips() -> None:
    frame = pd.DataFrame({"=col": ["=1+1", "+x", "ok", "@SUM(A1)", "-2"],
                          "confidence": [0.5, 1.0, 0.25, 0.0, 1.0]})
    back = pd.read_csv(io.BytesIO(tables.to_safe_csv(frame)), dtype={"'=col": str})
    assert list(back.columns) == ["'=col", "confidence"]
    assert back["'=col"].tolist() == ["'=1+1", "'+x", "ok", "'@SUM(A1)", "'-2"]
    assert back["confidence"].tolist() == [0.5, 1.0, 0.25, 0.0, 1.0]


def test_read_answer_csv_takes_off_the_formula_guard_the_export_puts_back() -> None:
    frame = pd.DataFrame({"=col": ["=1+1", "-2.5", "'kept", " @x", "\tt", "a-b", ""],
                          "session_id": list("aabbccd")})
    written = tables.to_safe_csv(frame)
    back = tables.read_answer_csv(written, ("session_id",))
    assert list(back.columns) == ["=col", "session_id"]
    assert back["=col"].tolist() == frame["=col"].tolist()
    assert tables.to_safe_csv(back) == written


@pytest.mark.parametrize(("name", "xes"), [("log.xes", True), ("LOG.XES.GZ", True),
                                           ("log.csv", False), ("log.csv.gz", False),
                                           ("xes.csv", False)])
def test_is_xes_by_name(name: str, xes: bool) -> None:
    assert tables.is_xes(name) is xes


def test_read_csv_keeps_every_row_the_api_keeps() -> None:
    """The UI once skipped rows with extra fields (on_bad_lines="warn"); now it reads as the
    API does: every row kept, the repair named in a warning."""
    frame = tables.read_csv(b"source,log_message\nA,x, y\n,\nB,ok\n", REQUIRED)
    assert frame["log_message"].tolist() == ["x, y", "", "ok"]
    assert "more fields than the header" in frame.attrs["warnings"][0]
