"""Hypothesis against the running app: hostile CSV uploads and JSON bodies never give a 5xx;
a 2xx keeps every row (rows in = classified + abstained + refused), a 4xx names the problem.
The quick profile runs in `make test`; the long one is marked slow."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from tests.tables.strategies import CsvBody, csv_bodies, garbage, json_bodies

QUICK = settings(max_examples=25, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.function_scoped_fixture])
LONG = settings(QUICK, max_examples=400, derandomize=False)


def _problem(response: object) -> None:
    assert response.status_code < 500, response.text[:300]  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    assert len(response.json()["detail"]) > 10  # type: ignore[attr-defined]


def check_upload(client: TestClient, data: bytes, rows: int | None) -> None:
    response = client.post("/v1/logs/classify/csv", files={"file": ("f.csv", data, "text/csv")})
    if response.status_code >= 400:
        _problem(response)
        return
    counts = [int(response.headers[f"x-rows-{k}"])
              for k in ("in", "classified", "abstained", "refused")]
    assert counts[0] == sum(counts[1:])
    if rows is not None:
        assert counts[0] == rows


def check_json(client: TestClient, body: str, sent: int | None) -> None:
    response = client.post("/v1/logs/classify", content=body.encode("utf-8", "surrogatepass"),
                           headers={"Content-Type": "application/json"})
    if response.status_code >= 400:
        _problem(response)
        return
    summary = response.json()["summary"]
    assert summary["rows_in"] == len(response.json()["predictions"])
    assert summary["rows_in"] == summary["classified"] + summary["abstained"] + summary["refused"]
    if sent is not None:
        assert summary["rows_in"] == sent


def _csv(client: TestClient, body: CsvBody) -> None:
    check_upload(client, body.data, None if body.duplicate else body.rows)


def test_fuzz_api_csv_quick(client: TestClient) -> None:
    QUICK(given(csv_bodies())(lambda body: _csv(client, body)))()


def test_fuzz_api_garbage_quick(client: TestClient) -> None:
    QUICK(given(garbage)(lambda data: check_upload(client, data, None)))()


def test_fuzz_api_json_quick(client: TestClient) -> None:
    QUICK(given(json_bodies())(lambda case: check_json(client, *case)))()


@pytest.mark.slow
def test_fuzz_api_csv_long(client: TestClient) -> None:
    LONG(given(csv_bodies())(lambda body: _csv(client, body)))()


@pytest.mark.slow
def test_fuzz_api_json_long(client: TestClient) -> None:
    LONG(given(json_bodies())(lambda case: check_json(client, *case)))()
