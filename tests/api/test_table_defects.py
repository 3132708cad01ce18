"""The ten input defects of issue 13 on the log endpoints (sessions: tests/sessions), one test
each, named after the defect, plus the unclear errors; every answer states its row accounting."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from backend.api.main import create_app
from tests.utils.factories import REPO_MODELS, make_settings
from tests.utils.http import assert_problem, post_csv, read_csv_rows

HEADER = b"source,log_message\n"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def assert_accounting(response: httpx.Response, rows_in: int) -> None:
    """rows in = classified + abstained + refused, in the CSV headers or the JSON summary."""
    if response.headers["content-type"].startswith("text/csv"):
        got = {k: int(response.headers[f"x-rows-{k}"])
               for k in ("in", "classified", "abstained", "refused")}
        got["rows_in"] = got.pop("in")
    else:
        got = response.json()["summary"]
    assert got["rows_in"] == rows_in
    assert got["classified"] + got["abstained"] + got["refused"] == rows_in


def test_defect1_bare_cr_cell_is_quoted_and_not_a_formula(client: TestClient) -> None:
    data = HEADER + b'A,"disk full\r=cmd|x!A0"\n'
    response = post_csv(client, data)
    assert response.status_code == 200
    assert '"disk full\r=cmd|x!A0"' in response.text  # quoted: one cell, one row
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    assert len(rows) == 2 and rows[1][1] == "disk full\r=cmd|x!A0"
    assert not any(c.startswith(FORMULA_START) for row in rows for c in row)
    assert_accounting(response, 1)


def test_defect2_unclosed_quote_is_one_row_per_line_with_a_warning(client: TestClient) -> None:
    data = HEADER + b'nginx,"GET /a HTTP/1.1 200\nnginx,second\nnginx,third\n'
    response = post_csv(client, data)
    rows = read_csv_rows(response)
    assert [r["log_message"] for r in rows] == ["GET /a HTTP/1.1 200", "second", "third"]
    assert "line 2 opens a quote that never closes" in response.headers["x-warnings"]
    assert_accounting(response, 3)
    as_json = post_csv(client, data, accept="application/json")
    assert len(as_json.json()["predictions"]) == 3 and as_json.json()["warnings"]
    assert_accounting(as_json, 3)


def test_defect3_empty_row_kept_when_another_row_has_extra_commas(client: TestClient) -> None:
    response = post_csv(client, HEADER + b"A,x, y\n,\nB,ok\n")
    rows = read_csv_rows(response)
    assert [r["log_message"] for r in rows] == ["x, y", "", "ok"]
    assert "more fields than the header (first at line 2)" in response.headers["x-warnings"]
    assert_accounting(response, 3)


def test_defect4_two_file_parts_are_refused(client: TestClient) -> None:
    files = [("file", ("a.csv", HEADER + b"A,first\n", "text/csv")),
             ("file", ("b.csv", HEADER + b"B,second\n", "text/csv"))]
    assert_problem(client.post("/v1/logs/classify/csv", files=files), 422,
                   "2 'file' parts", "one file per request")


def test_defect5_column_repeated_in_another_case_is_refused_by_name(client: TestClient) -> None:
    assert_problem(post_csv(client, b"source,log_message,Source\nA,b,c\n"), 422,
                   "'source', 'Source'", "Duplicate")
    body = assert_problem(post_csv(client, b"source,log_message,Log Message\nA,b,c\n",
                                   accept="application/json"), 422, "'Log Message'")
    assert body["duplicate_columns"] == ["log_message"]


def test_defect6_lone_surrogate_is_replaced_with_a_warning(client: TestClient) -> None:
    raw = ('{"logs": [{"source": "A", "log_message": "x \\ud800"}, '
           '{"source": "B\\udfff", "log_message": "ok"}]}')
    response = client.post("/v1/logs/classify", content=raw,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [p["log_message"] for p in body["predictions"]] == ["x \ufffd", "ok"]
    assert "2 text value(s) held lone UTF-16 surrogates" in body["warnings"][0]
    assert_accounting(response, 2)


def test_defect9_input_columns_named_like_outputs_are_kept(client: TestClient) -> None:
    data = b"source,log_message,target_label,Confidence\nA,User a logged in.,Mine,high\n"
    response = post_csv(client, data)
    row = read_csv_rows(response)[0]
    assert row["target_label"] == "Mine" and row["Confidence"] == "high"
    assert row["sift_target_label"] == "User Action" and float(row["sift_confidence"]) > 0
    assert "'target_label'" in response.headers["x-warnings"]
    assert "sift_confidence" in response.headers["x-warnings"]


def test_defect10_wide_csv_is_refused_quickly(client: TestClient) -> None:
    wide = ",".join(f"c{i}" for i in range(10_000))
    data = f"source,log_message,{wide}\nA,hello,{wide}\n".encode()
    start = time.perf_counter()
    response = post_csv(client, data)
    elapsed = time.perf_counter() - start
    assert_problem(response, 413, "10,002 columns", "MAX_COLUMNS")
    assert elapsed < 3.0, elapsed


def test_defect10_wide_csv_under_the_limit_is_answered_quickly(client: TestClient) -> None:
    wide = ",".join(f"c{i}" for i in range(4_000))
    data = f"source,log_message,{wide}\nA,hello,{wide}\n".encode()
    start = time.perf_counter()
    response = post_csv(client, data)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200 and len(read_csv_rows(response)) == 1
    assert elapsed < 3.0, elapsed


def test_unclear_utf16le_without_bom_is_read(client: TestClient) -> None:
    response = post_csv(client, "source,log_message\nA,Grüße José\n".encode("utf-16-le"))
    assert read_csv_rows(response)[0]["log_message"] == "Grüße José"
    assert "UTF-16 without a byte-order mark" in response.headers["x-warnings"]


def test_unclear_latin1_is_not_read_as_mac_latin2(client: TestClient) -> None:
    response = post_csv(client, "source,log_message\nA,Grüße José\n".encode("latin-1"))
    assert read_csv_rows(response)[0]["log_message"] == "Grüße José"


def test_unclear_json_without_content_type_is_read_as_json(client: TestClient) -> None:
    body = json.dumps({"logs": [{"source": "A", "log_message": "User a logged in."}]})
    response = client.post("/v1/logs/classify", content=body,  # what curl -d sends
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    assert response.json()["predictions"][0]["label"] == "User Action"


def test_unclear_deep_or_non_utf8_json_says_what_is_wrong(client: TestClient) -> None:
    headers = {"Content-Type": "application/json"}
    deep = client.post("/v1/logs/classify", content="[" * 10_000 + "]" * 10_000,
                       headers=headers)
    assert deep.status_code in (400, 422) and "recursion" in deep.json()["detail"]
    inner = client.post("/v1/logs/classify", content='{"logs": ' + "[" * 10_000 + "]" * 10_000
                        + "}", headers=headers)
    assert inner.status_code == 400 and "nested too deeply" in inner.json()["detail"]
    bad = client.post("/v1/logs/classify", content=b'{"logs": [{"log_message": "\xff"}]}',
                      headers=headers)
    assert bad.status_code in (400, 422) and "UTF-8" in bad.json()["detail"]


def test_unclear_file_as_text_field_says_send_a_file(client: TestClient) -> None:
    response = client.post("/v1/logs/classify/csv", data={"file": "source,log_message\nA,b\n"})
    assert_problem(response, 422, "file part", "-F 'file=@")


def test_unclear_rows_with_another_delimiter_are_named(client: TestClient) -> None:
    response = post_csv(client, b"source,log_message\nA;b\nC,d\n")
    assert [r["log_message"] for r in read_csv_rows(response)] == ["", "d"]
    assert "fewer fields than the header (first at line 2)" in response.headers["x-warnings"]
    assert_accounting(response, 2)


def test_json_summary_states_row_accounting(client: TestClient) -> None:
    logs = [{"source": "A", "log_message": m} for m in ("User a logged in.", "zzzz qqq", "")]
    response = client.post("/v1/logs/classify", json={"logs": logs})
    assert response.status_code == 200
    assert_accounting(response, 3)


def test_unclear_half_open_upload_is_closed_with_408(default_model_dir: Path) -> None:
    """An upload that stops sending mid-body is answered 408 after BODY_IDLE_TIMEOUT_S,
    not held until REQUEST_TIMEOUT_S (raw ASGI: the stall is in `receive`)."""
    app = create_app(make_settings(REPO_MODELS, BODY_IDLE_TIMEOUT_S=0.5, RATE_LIMIT="off"),
                     load_in_background=True)
    first = [{"type": "http.request", "body": b"--x\r\nContent-Disposition: form-data; "
                                               b'name="file"; filename="a.csv"\r\n\r\nsour',
              "more_body": True}]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        if first:
            return first.pop()
        await asyncio.sleep(60)  # the client went quiet
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/v1/logs/classify/csv",
             "raw_path": b"/v1/logs/classify/csv", "root_path": "", "query_string": b"",
             "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 5555),
             "headers": [(b"content-type", b"multipart/form-data; boundary=x"),
                         (b"content-length", b"100000")]}
    start = time.perf_counter()
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 20))
    assert sent[0]["status"] == 408 and time.perf_counter() - start < 10
    assert b"BODY_IDLE_TIMEOUT_S" in b"".join(m.get("body", b"") for m in sent)  # type: ignore[misc]
