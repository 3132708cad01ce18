"""The UI's API client against a real API process (and a server that never answers)."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from frontend.api_client import ApiClient, ApiError

LOGS = [{"source": "ModernCRM", "log_message": "User User123 logged in."},
        {"source": "BillingSystem", "log_message": "Payment service crashed with exit code 137"},
        {"source": "ModernHR", "log_message": ""}]


class _Slow(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        time.sleep(2.0)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_ready_and_routes(api_url: str) -> None:
    api = ApiClient(api_url)
    assert api.ready()["ready"] is True
    assert "/v1/logs/classify" in api.paths()
    assert api.docs_url == f"{api_url}/docs"


def test_a_log_job_is_uploaded_once_polled_and_read(api_url: str) -> None:
    api = ApiClient(api_url)
    rows = LOGS * 3
    data = pd.DataFrame(rows).to_csv(index=False).encode()
    job = api.start_log_job(data, "rows.csv")
    assert job["status"] in ("queued", "running", "succeeded")
    for _ in range(600):
        job = api.job("logs", job["id"])
        if job["status"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    assert job["status"] == "succeeded" and job["progress"]["rows_done"] == len(rows)
    out = pd.read_csv(io.BytesIO(api.job_result("logs", job["id"])), dtype=str,
                      keep_default_na=False)
    assert out["log_message"].tolist() == [r["log_message"] for r in rows]
    assert out.loc[0, "target_label"] == "User Action" and out.loc[0, "tier"] == "rules"
    assert out.loc[2, "target_label"] == "Unclassified" and out.loc[2, "reason"]


def test_csv_endpoint_returns_labelled_csv(api_url: str) -> None:
    body = ApiClient(api_url).classify_logs_csv(b"source,log_message\nModernCRM,=1+2\n")
    frame = pd.read_csv(io.BytesIO(body), dtype=str)
    assert frame.loc[0, "log_message"] == "'=1+2"
    assert "target_label" in frame.columns


def test_problem_json_detail_becomes_the_message(api_url: str) -> None:
    with pytest.raises(ApiError) as caught:
        ApiClient(api_url).classify_logs(LOGS, threshold=2.0)
    assert caught.value.status == 422
    assert "threshold" in caught.value.message and "less than or equal to 1" in caught.value.message


def test_bad_csv_problem_json_names_the_missing_column(api_url: str) -> None:
    with pytest.raises(ApiError, match="Missing required column") as caught:
        ApiClient(api_url).classify_logs_csv(b"source,message\nA,b\n")
    assert caught.value.status == 422


def test_api_down_is_a_readable_error(dead_api: str) -> None:
    with pytest.raises(ApiError) as caught:
        ApiClient().models()
    assert caught.value.kind == "down"
    assert dead_api in caught.value.message and "SIFT_API_URL" in caught.value.message


def test_timeout_is_a_readable_error(slow_url: str) -> None:
    with pytest.raises(ApiError) as caught:
        ApiClient(slow_url, timeout_s=0.3).ready()
    assert caught.value.kind == "timeout"
    assert "did not answer within 0.3 s" in caught.value.message
