"""Hostile bodies from the issue 24 review: none may hold the process, grow memory with the
input rather than the limits, sink a batch, or be cut short silently."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from backend.logs.logformat import compile_format
from backend.logs.rawlog import LogReading

# `(a+)+!` backtracks exponentially on Python's `re`: 26 characters took ~5 s before RE2
EVIL_LINE = b"a" * 26 + b"\n"
EVIL_FORMAT = "<A:(a+)+!><Content>"


def _timed(call):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


def test_user_log_format_and_record_start_run_in_linear_time(client: TestClient) -> None:
    form, form_s = _timed(lambda: client.post(
        "/v1/logs/classify/csv", files={"file": ("r.log", EVIL_LINE, "text/plain")},
        data={"log_format": EVIL_FORMAT}))
    query, query_s = _timed(lambda: client.post(
        "/v1/logs/classify", params={"log_format": "<A:(a+)+(a+)+!> <Content>"},
        content=b"a" * 26 + b" x\n", headers={"Content-Type": "text/plain"}))
    start, start_s = _timed(lambda: client.post(
        "/v1/logs/classify", params={"record_start": "^(a|a)+$"}, content=EVIL_LINE,
        headers={"Content-Type": "text/plain"}))

    assert (form.status_code, query.status_code, start.status_code) == (200, 200, 200)
    assert max(form_s, query_s, start_s) < 2.0, (form_s, query_s, start_s)
    assert query.json()["records"][0]["parsed"] is False  # no match: the whole line, classified
    # the same engine serves the bulk CLI: a 100,000-character line is still instant
    started = time.perf_counter()
    assert compile_format(EVIL_FORMAT).parse("a" * 100_000) is None
    assert LogReading(record_start="^(a|a)+$").start_pattern.match("a" * 100_000)
    assert time.perf_counter() - started < 1.0


def test_pattern_engine_refuses_backreferences_and_lookaround_with_422(
        client: TestClient) -> None:
    cases = {r"<A:(\w)\1> <Content>": "backreference", "<A:(?=x)\\w+> <Content>": "lookahead",
             "(?<!x)<Content>": "lookbehind"}
    for log_format, construct in cases.items():
        response = client.post("/v1/logs/classify/csv", data={"log_format": log_format},
                               files={"file": ("r.log", b"xx hello\n", "text/plain")})
        assert response.status_code == 422, (log_format, response.text)
        detail = response.json()["detail"]
        assert construct in detail and "RE2" in detail, detail
    start = client.post("/v1/logs/classify", params={"record_start": r"^(?P<a>x)(?P=a)"},
                        content=b"xx\n", headers={"Content-Type": "text/plain"})
    assert start.status_code == 422 and "named backreference" in start.json()["detail"]


def test_named_fields_still_parse_on_re2(client: TestClient) -> None:
    response = client.post("/v1/logs/classify", params={"log_format": r"<Pid:\d+> +<Content>"},
                           content=b"42    disk full\n", headers={"Content-Type": "text/plain"})
    assert response.status_code == 200, response.text
    record = response.json()["records"][0]
    assert (record["Pid"], record["Content"], record["parsed"]) == ("42", "disk full", True)
