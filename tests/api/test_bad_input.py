"""One test per kind of bad upload: a clear 4xx problem+json, or every row back with a reason."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.api.state import app_state
from backend.embedding.embedder import Embedder
from tests.utils.factories import REPO_MODELS, make_settings
from tests.utils.http import assert_problem, post_csv, read_csv_rows

HEADER = b"source,log_message\n"


def _ok_rows(client: TestClient, data: bytes, **kwargs: str) -> list[dict[str, str]]:
    response = post_csv(client, data, **kwargs)
    assert response.status_code == 200, response.text[:500]
    return read_csv_rows(response)


def test_empty_file(client: TestClient) -> None:
    assert_problem(post_csv(client, b""), 422, "empty", "source,log_message")
    assert_problem(post_csv(client, b"  \n\n"), 422, "empty")


def test_header_only(client: TestClient) -> None:
    assert_problem(post_csv(client, HEADER), 422, "no data rows")


def test_missing_column_is_named(client: TestClient) -> None:
    body = assert_problem(post_csv(client, b"source\nModernCRM\n"), 422, "'log_message'",
                          "Found: 'source'")
    assert body["missing_columns"] == ["log_message"]


def test_misspelt_column_is_named_with_a_hint(client: TestClient) -> None:
    body = assert_problem(post_csv(client, b"sourse,log_mesage\nModernCRM,x\n"), 422,
                          "'log_mesage' looks like a misspelling of 'log_message'",
                          "'sourse' looks like a misspelling of 'source'")
    assert body["missing_columns"] == ["source", "log_message"]


def test_header_case_and_spaces_are_tolerated(client: TestClient) -> None:
    out = _ok_rows(client, b"Source,Log Message\nModernCRM,User a logged in.\n")
    assert out[0]["target_label"] == "User Action"


def test_semicolon_delimiter(client: TestClient) -> None:
    response = post_csv(client, b"source;log_message\nModernCRM;User a logged in.\n"
                                b"BillingSystem;Disk 3 failed, retrying\n")
    out = read_csv_rows(response)
    assert [r["log_message"] for r in out] == ["User a logged in.", "Disk 3 failed, retrying"]
    assert out[0]["target_label"] == "User Action"
    assert "delimiter ';'" in response.headers["x-warnings"]


def test_tab_delimiter(client: TestClient) -> None:
    out = _ok_rows(client, b"source\tlog_message\nModernCRM\tUser a logged in.\n"
                           b"X\tBackup completed successfully.\n")
    assert [r["target_label"] for r in out] == ["User Action", "System Notification"]


def test_utf8_bom(client: TestClient) -> None:
    out = _ok_rows(client, "\ufeffsource,log_message\nModernCRM,User a logged in.\n"
                   .encode("utf-8"))
    assert list(out[0])[0] == "source"
    assert out[0]["source"] == "ModernCRM" and out[0]["target_label"] == "User Action"


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_non_utf8_bytes(client: TestClient, encoding: str) -> None:
    text = ("source,log_message\nModernHR,Benutzer Müller: Gehaltsänderung für José "
            "fehlgeschlagen\nModernCRM,User a logged in.\n")
    response = post_csv(client, text.encode(encoding))
    out = read_csv_rows(response)
    assert len(out) == 2
    assert "Müller" in out[0]["log_message"] and "José" in out[0]["log_message"]
    assert "not UTF-8" in response.headers["x-warnings"]


def test_quoted_newlines_stay_in_one_row(client: TestClient) -> None:
    out = _ok_rows(client, HEADER + b'ModernCRM,"Job 7 failed:\nstack trace line, with comma"\n'
                                    b"X,User a logged in.\n")
    assert len(out) == 2
    assert out[0]["log_message"] == "Job 7 failed:\nstack trace line, with comma"
    assert out[1]["target_label"] == "User Action"


def test_one_megabyte_single_message(client: TestClient) -> None:
    """Refused with a 422 naming the row when above the hard limit, else kept whole."""
    message = "Disk 3 failed on node 7 " + "x" * (1 << 20)
    data = HEADER + f"ModernCRM,User a logged in.\nBillingSystem,{message}\n".encode()
    hard = getattr(app_state(client.app).settings, "MAX_MESSAGE_CHARS_HARD", None)
    if hard is not None and len(message) > hard:
        body = assert_problem(post_csv(client, data), 422, "Row 2", f"{len(message):,}",
                              "MAX_MESSAGE_CHARS_HARD")
        assert body["row"] == 2
    else:
        out = _ok_rows(client, data)
        assert [r["log_message"] for r in out] == ["User a logged in.", message]


def test_long_message_below_the_hard_limit_is_kept_whole(client: TestClient) -> None:
    message = "Disk 3 failed on node 7 " + "y" * 60_000
    out = _ok_rows(client, HEADER + f"BillingSystem,{message}\nX,User a logged in.\n".encode())
    assert len(out) == 2
    assert out[0]["log_message"] == message and out[0]["target_label"]
    assert out[1]["target_label"] == "User Action"


@pytest.mark.parametrize("cell", ["", '""', "NaN", "nan", "null", "   "])
def test_empty_and_nan_messages_come_back_unclassified(client: TestClient, cell: str) -> None:
    out = _ok_rows(client, HEADER + f"ModernCRM,{cell}\nModernCRM,User a logged in.\n".encode())
    assert len(out) == 2
    assert out[0]["target_label"] == "Unclassified" and out[0]["tier"] == "none"
    assert out[0]["reason"] == "empty log_message"
    assert out[1]["target_label"] == "User Action"


def test_blank_lines_are_not_rows_but_nothing_else_is_dropped(client: TestClient) -> None:
    out = _ok_rows(client, HEADER + b"\nA,User a logged in.\n\n,\nB,User b logged in.\n")
    assert [r["source"] for r in out] == ["A", "", "B"]


def test_extra_columns_are_kept_in_place(client: TestClient) -> None:
    data = (b"timestamp,source,log_message,complexity\n"
            b"2025-06-01 10:00:00,ModernCRM,User a logged in.,bert\n"
            b"2025-06-01 10:00:01,LegacyCRM,Case escalation for ticket 5 failed.,llm\n")
    out = _ok_rows(client, data)
    assert list(out[0]) == ["timestamp", "source", "log_message", "complexity", "target_label",
                            "confidence", "tier", "model_version", "reason", "stage",
                            "template"]
    assert [r["timestamp"] for r in out] == ["2025-06-01 10:00:00", "2025-06-01 10:00:01"]
    assert [r["complexity"] for r in out] == ["bert", "llm"]


@pytest.mark.parametrize("position", ["first", "later"])
def test_unquoted_extra_commas_are_joined_into_the_message(client: TestClient,
                                                           position: str) -> None:
    bad = b"BillingSystem,Disk 3 failed, retrying in 5 s, attempt 2\n"
    good = b"ModernCRM,User a logged in.\n"
    body = bad + good if position == "first" else good + bad
    response = post_csv(client, HEADER + body)
    out = read_csv_rows(response)
    assert len(out) == 2
    messages = {r["source"]: r["log_message"] for r in out}
    assert messages == {"BillingSystem": "Disk 3 failed, retrying in 5 s, attempt 2",
                        "ModernCRM": "User a logged in."}
    assert "more fields than the header" in response.headers["x-warnings"]


def test_zip_named_csv_is_415(client: TestClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("logs.csv", "source,log_message\nA,b\n")
    assert_problem(post_csv(client, buffer.getvalue(), filename="logs.csv"), 415, "zip")


def test_binary_bytes_are_415(client: TestClient) -> None:
    assert_problem(post_csv(client, b"source,log\x00_message\n\xff\xfe\x00\x01"), 415, "binary")


def test_formula_cells_are_neutralised(client: TestClient) -> None:
    cells = ["=cmd|' /C calc'!A0", "+1", "-1", "@x", "=HYPERLINK(\"http://evil\")"]
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["source", "log_message"])
    for cell in cells:
        writer.writerow([cell, cell])
    out = _ok_rows(client, rows.getvalue().encode())
    assert [r["log_message"] for r in out] == [f"'{c}" for c in cells]
    assert [r["source"] for r in out] == [f"'{c}" for c in cells]
    for row in out:
        assert not row["reason"].startswith(("=", "+", "-", "@"))


@pytest.fixture(scope="module")
def small_limit_client(default_model_dir: object, embedder: Embedder) -> Iterator[TestClient]:
    settings = make_settings(REPO_MODELS, MAX_UPLOAD_MB=0.01, MAX_ROWS_PER_REQUEST=5,
                             RATE_LIMIT="off")
    with TestClient(create_app(settings, load_in_background=False)) as test_client:
        yield test_client


def test_file_above_upload_limit_is_413(small_limit_client: TestClient) -> None:
    data = HEADER + b"ModernCRM,User a logged in.\n" * 500  # ~14 KB > 10 KB
    assert_problem(post_csv(small_limit_client, data), 413, "MAX_UPLOAD_MB")


def test_too_many_rows_is_413(small_limit_client: TestClient) -> None:
    data = HEADER + b"ModernCRM,User a logged in.\n" * 6
    assert_problem(post_csv(small_limit_client, data), 413, "limit per request is 5")
    logs = [{"source": "A", "log_message": "x"}] * 6
    assert_problem(small_limit_client.post("/v1/logs/classify", json={"logs": logs}), 413,
                   "limit per request is 5")
