"""Whole-file jobs (POST /v1/logs/jobs): progress, result, curve, agreement, owner, bounds.

A real app over the repo's default log model; jobs run in the app's job thread and are
polled as the UI polls them.
"""

from __future__ import annotations

import gzip
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.core.config import PROJECT_ROOT
from backend.embedding.embedder import Embedder
from tests.utils.factories import REPO_MODELS, make_settings

ADMIN = "test-token-0123456789"
ALICE, BOB = "alice-key-0123456789abcdef", "bob-key-0123456789abcdefgh"
LOGS_CSV = PROJECT_ROOT / "tests" / "frontend" / "data" / "logs_small.csv"
JAVA_LOG = PROJECT_ROOT / "tests" / "data" / "rawlogs" / "java_stacktrace.log"


def _app(**overrides: Any) -> TestClient:
    settings = make_settings(REPO_MODELS, API_TOKEN=ADMIN, RATE_LIMIT="off",
                             WRITER_TOKENS={"alice": ALICE, "bob": BOB}, **overrides)
    return TestClient(create_app(settings, load_in_background=False))


@pytest.fixture(scope="module")
def client(default_model_dir: Path, embedder: Embedder) -> Iterator[TestClient]:
    with _app() as test_client:
        yield test_client


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def wait(client: TestClient, location: str, token: str | None = None,
         timeout_s: float = 120.0) -> dict[str, Any]:
    """Poll the job until it ends; the progress seen on the way is in `seen`."""
    seen = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(location, headers=_auth(token)).json()
        seen.append(body["progress"])
        if body["status"] not in ("queued", "running"):
            return {**body, "seen": seen}
        time.sleep(0.05)
    raise AssertionError(f"job {location} did not end in {timeout_s} s")


def _labelled_csv(rows: int = 60) -> bytes:
    """Real Loghub lines (Apache, OpenSSH) with a team label column, some blank."""
    base = pd.read_csv(LOGS_CSV)
    frame = pd.concat([base] * (rows // len(base) + 1)).head(rows).reset_index(drop=True)
    frame["target_label"] = ["User Action" if i % 3 else "" for i in range(len(frame))]
    return frame.to_csv(index=False).encode()


def test_log_csv_job_matches_the_sync_door_and_its_curve(client: TestClient) -> None:
    data = _labelled_csv()
    created = client.post("/v1/logs/jobs", files={"file": ("team.csv", data, "text/csv")},
                          headers=_auth(ALICE))
    assert created.status_code == 202, created.text
    assert created.headers["location"] == f"/v1/logs/jobs/{created.json()['id']}"
    job = wait(client, created.headers["location"], ALICE)
    assert job["status"] == "succeeded", job["error"]
    result = job["result"]
    sync = client.post("/v1/logs/classify/csv", files={"file": ("team.csv", data)},
                       headers={"Accept": "application/json", **_auth(ALICE)}).json()
    assert result["summary"]["coverage"] == sync["summary"]["coverage"]
    assert result["summary"]["by_label"] == sync["summary"]["by_label"]
    assert result["summary"]["rows_in"] == 60 == job["progress"]["rows_total"]
    assert result["agreement"]["labelled_rows"] == sync["agreement"]["labelled_rows"] == 40
    at_served = [p for p in result["curve"] if p["threshold"] == result["threshold"]]
    assert at_served and at_served[0]["coverage"] == result["summary"]["coverage"]
    assert result["curve"][0]["threshold"] == 0.0 and result["curve"][-1]["threshold"] == 1.0
    assert all(p["accuracy"] is None or 0 <= p["accuracy"] <= 1 for p in result["curve"])
    csv = client.get(f"{created.headers['location']}/result", headers=_auth(ALICE))
    out = pd.read_csv(io.StringIO(csv.text), keep_default_na=False)
    assert list(out.columns[:4]) == ["source", "log_message", "ticket", "target_label"]
    assert result["columns"]["target_label"] == "sift_target_label"
    assert out["sift_target_label"].tolist() == [p["label"] for p in sync["predictions"]]


def test_raw_gzip_log_job_reports_records_and_progress(client: TestClient) -> None:
    data = gzip.compress(JAVA_LOG.read_bytes())
    created = client.post("/v1/logs/jobs", files={"file": ("app.log.gz", data)},
                          data={"log_format": "auto"})
    assert created.status_code == 202, created.text
    job = wait(client, created.headers["location"])
    assert job["status"] == "succeeded", job["error"]
    progress = job["progress"]
    assert progress["rows_done"] == progress["rows_total"] == job["result"]["rows"] > 0
    assert progress["share"] == 1.0
    out = pd.read_csv(io.StringIO(client.get(f"{created.headers['location']}/result").text))
    assert set(out["source"]) == {"app"} and "stage" in out.columns
    assert "format log4j: 9 records from 26 lines (17 joined)" in job["result"]["warnings"]


def test_a_job_is_shown_only_to_its_caller_and_the_admin(client: TestClient) -> None:
    created = client.post("/v1/logs/jobs", files={"file": ("a.csv", _labelled_csv(8))},
                          headers=_auth(ALICE))
    location = created.headers["location"]
    wait(client, location, ALICE)
    for token in (BOB, None):
        refused = client.get(location, headers=_auth(token))
        assert refused.status_code == 404 and "only to the caller" in refused.json()["detail"]
        assert client.get(f"{location}/result", headers=_auth(token)).status_code == 404
        assert client.delete(location, headers=_auth(token)).status_code == 404
    assert client.get(location, headers=_auth(ADMIN)).json()["status"] == "succeeded"
    assert client.get(f"{location}/result", headers=_auth(ALICE)).status_code == 200


def test_job_bounds_are_the_sync_doors(default_model_dir: Path, embedder: Embedder) -> None:
    with _app(MAX_ROWS_PER_REQUEST=20, MAX_UPLOAD_MB=0.01) as small:
        job = wait(small, small.post("/v1/logs/jobs", files={"file": (
            "big.csv", _labelled_csv(30))}).headers["location"])
        sync = small.post("/v1/logs/classify/csv", files={"file": ("big.csv",
                                                                  _labelled_csv(30))})
        assert job["status"] == "failed" and sync.status_code == 413
        assert job["error"] == {"status": 413, "detail": sync.json()["detail"]}
        bomb = gzip.compress(b"x" * 200_000)
        refused = small.post("/v1/logs/jobs", files={"file": ("bomb.log.gz", bomb)})
        assert refused.status_code == 413 and "unpacked" in refused.json()["detail"]
        unknown = small.post("/v1/logs/jobs", files={"file": ("x.bin", b"abc")})
        assert unknown.status_code == 415


def test_job_rows_count_against_the_callers_quota(default_model_dir: Path,
                                                 embedder: Embedder) -> None:
    with _app(JOB_QUOTA="12/hour") as quota:
        first = wait(quota, quota.post("/v1/logs/jobs", files={"file": (
            "a.csv", _labelled_csv(8))}, headers=_auth(ALICE)).headers["location"], ALICE)
        second = wait(quota, quota.post("/v1/logs/jobs", files={"file": (
            "a.csv", _labelled_csv(8))}, headers=_auth(ALICE)).headers["location"], ALICE)
        other = wait(quota, quota.post("/v1/logs/jobs", files={"file": (
            "a.csv", _labelled_csv(8))}, headers=_auth(BOB)).headers["location"], BOB)
    assert first["status"] == "succeeded" and other["status"] == "succeeded"
    assert second["status"] == "failed" and second["error"]["status"] == 429
    assert "JOB_QUOTA" in second["error"]["detail"]


def test_ndjson_job_answers_as_the_csv_job(client: TestClient) -> None:
    frame = pd.read_csv(LOGS_CSV, dtype=str, keep_default_na=False)
    lines = frame.to_json(orient="records", lines=True).encode()
    csv_location = client.post("/v1/logs/jobs", files={"file": (
        "a.csv", frame.to_csv(index=False).encode())}).headers["location"]
    as_csv = wait(client, csv_location)
    location = client.post("/v1/logs/jobs", files={"file": ("a.ndjson", lines)}
                           ).headers["location"]
    as_ndjson = wait(client, location)
    assert as_ndjson["status"] == "succeeded", as_ndjson["error"]
    assert as_ndjson["result"]["summary"] == as_csv["result"]["summary"]
    out, csv_out = (pd.read_csv(io.StringIO(client.get(f"{where}/result").text), dtype=str,
                                keep_default_na=False) for where in (location, csv_location))
    assert out["target_label"].tolist() == csv_out["target_label"].tolist()
    assert out["log_message"].tolist() == csv_out["log_message"].tolist()  # formula-safe
