"""The request guard: rate limit, read auth, body and message limits, timeout, request ids,
JSON access logs without secrets, and /metrics."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backend.api.middleware import RequestGuard
from backend.core.jsonlog import JsonFormatter
from tests.reliability.conftest import TOKEN
from tests.utils.factories import make_settings

LINE = {"logs": [{"source": "ModernCRM", "log_message": "User User123 logged in."}]}
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return body


def test_rate_limit_answers_429_with_retry_after(client_for: Any) -> None:
    client = client_for(RATE_LIMIT="3/minute")
    codes = [client.get("/v1/models").status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    refused = client.get("/v1/models")
    body = _problem(refused, 429)
    assert "3 per 1 minute" in body["detail"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert client.get("/health").status_code == 200  # probes are exempt
    assert "sift_rate_limited_total 1.0" in client.get("/metrics").text


def test_rate_limit_off_and_bad_spec(client_for: Any) -> None:
    client = client_for(RATE_LIMIT="off")
    assert all(client.get("/health").status_code == 200 for _ in range(20))
    with pytest.raises(ValueError, match="RATE_LIMIT"):
        client_for(RATE_LIMIT="lots")


def test_reads_are_open_by_default(client_for: Any) -> None:
    client = client_for(API_TOKEN=TOKEN, RATE_LIMIT="off")
    assert client.post("/v1/logs/classify", json=LINE).status_code == 200
    # mutating endpoints keep their own check
    _problem(client.post("/v1/models/log-classifier/activate", json={"version": "v1"}), 401)


def test_reads_need_a_token_when_configured(client_for: Any) -> None:
    client = client_for(API_TOKEN=TOKEN, REQUIRE_TOKEN_FOR_READS=True, RATE_LIMIT="off")
    body = _problem(client.post("/v1/logs/classify", json=LINE), 401)
    assert "Bearer" in body["detail"]
    _problem(client.post("/v1/logs/classify", json=LINE,
                         headers={"Authorization": "Bearer wrong"}), 403)
    _problem(client.get("/metrics", headers={"Authorization": "Basic abc"}), 401)
    assert client.post("/v1/logs/classify", json=LINE, headers=AUTH).status_code == 200
    assert client.get("/metrics", headers=AUTH).status_code == 200
    for path in ("/health", "/ready", "/openapi.json"):
        assert client.get(path).status_code == 200, path


def test_oversized_body_and_message_are_refused(client_for: Any) -> None:
    client = client_for(MAX_UPLOAD_MB=0.01, MAX_MESSAGE_CHARS_HARD=100, RATE_LIMIT="off")
    big = {"logs": [{"source": "A", "log_message": "x" * 2_000_000}]}
    assert "MAX_UPLOAD_MB" in _problem(client.post("/v1/logs/classify", json=big), 413)["detail"]
    long_line = {"logs": [LINE["logs"][0], {"source": "A", "log_message": "y" * 101}]}
    body = _problem(client.post("/v1/logs/classify", json=long_line), 422)
    assert body["row"] == 1 and "MAX_MESSAGE_CHARS_HARD" in body["detail"]
    csv = "source,log_message\nA,ok\nB," + "z" * 150 + "\n"
    body = _problem(client.post("/v1/logs/classify/csv",
                                files={"file": ("a.csv", csv.encode(), "text/csv")}), 422)
    assert body["row"] == 2


def test_request_ids_are_echoed_or_generated(client_for: Any) -> None:
    client = client_for(RATE_LIMIT="off")
    assert client.get("/health", headers={"X-Request-ID": "trace-42"}).headers[
        "x-request-id"] == "trace-42"
    generated = client.get("/health", headers={"X-Request-ID": "bad id\n<script>"})
    assert len(generated.headers["x-request-id"]) == 32
    assert generated.headers["x-request-id"] != client.get("/health").headers["x-request-id"]


def test_access_log_is_json_with_request_id_and_no_secret(
        client_for: Any, caplog: pytest.LogCaptureFixture) -> None:
    client = client_for(API_TOKEN=TOKEN, REQUIRE_TOKEN_FOR_READS=True, RATE_LIMIT="off")
    with caplog.at_level(logging.INFO, logger="sift.access"):
        client.get("/v1/models?api_key=leak", headers={"Authorization": "Bearer hunter2-secret",
                                                       "X-Request-ID": "req-7"})
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == "sift.access"]
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["method"] == "GET" and entry["path"] == "/v1/models"
    assert entry["status"] == 403 and entry["duration_ms"] >= 0
    assert entry["request_id"] == "req-7"
    assert "hunter2" not in lines[0] and "leak" not in lines[0]


def test_json_formatter_masks_secret_fields_and_bearer_tokens() -> None:
    record = logging.makeLogRecord({"msg": "calling with Bearer abc.def-123", "levelname": "INFO",
                                    "api_key": "k-999", "rows": 3})
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == "calling with Bearer ***"
    assert entry["api_key"] == "***" and entry["rows"] == 3


def test_slow_handler_gets_504_in_time() -> None:
    inner = FastAPI()

    @inner.get("/slow")
    def slow() -> dict[str, str]:  # sync: runs in a worker thread that cannot be cancelled
        time.sleep(1.5)
        return {"late": "yes"}

    settings = make_settings(REQUEST_TIMEOUT_S=0.2, RATE_LIMIT="off")
    inner.add_middleware(RequestGuard, settings=settings, metrics=None)
    with TestClient(inner) as client:
        started = time.perf_counter()
        response = client.get("/slow")
        elapsed = time.perf_counter() - started
    assert "REQUEST_TIMEOUT_S" in _problem(response, 504)["detail"]
    assert elapsed < 1.2


def test_metrics_count_requests_predictions_and_caches(client_for: Any) -> None:
    client = client_for(RATE_LIMIT="off")
    logs = {"logs": [LINE["logs"][0], {"source": "BillingSystem", "log_message": ""},
                     {"source": "ComputeCloud", "log_message": "Disk failure on node 3"}]}
    assert client.post("/v1/logs/classify", json=logs).status_code == 200
    client.post("/v1/logs/classify", json=logs)
    text = client.get("/metrics").text
    assert 'sift_http_requests_total{method="POST",route="/v1/logs/classify",status="200"} 2.0' \
        in text
    assert 'sift_http_request_duration_seconds_bucket{le="+Inf",method="POST",' \
           'route="/v1/logs/classify"} 2.0' in text
    assert 'sift_predictions_total{label="User Action",tier="rules"} 2.0' in text
    assert 'sift_abstentions_total{tier="none"} 2.0' in text
    ratio = float(next(line.split()[-1] for line in text.splitlines()
                       if line.startswith("sift_abstain_ratio")))
    assert ratio == pytest.approx(2 / 6)
    hits = float(next(line.split()[-1] for line in text.splitlines()
                      if line.startswith('sift_cache_hits_total{cache="template_key"}')))
    assert hits >= 1  # the second request found the template key cached
    assert 'sift_model_info{model="log-classifier",version="v2"} 1.0' in text
    assert "sift_llm_calls_total" in text and "sift_llm_errors_total" in text
