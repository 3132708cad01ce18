"""Start a retrain through the API and wait for its job (the tests that retrain share it)."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient


def retrain_and_wait(client: TestClient, model: str, headers: dict[str, str],
                     timeout_s: float = 600) -> dict[str, Any]:
    """POST /v1/models/{model}/retrain, poll GET /v1/jobs/{id}; the job's report."""
    r = client.post(f"/v1/models/{model}/retrain", headers=headers)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    assert r.headers["location"] == f"/v1/jobs/{job_id}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed"):
            assert job["status"] == "succeeded", job["error"]
            return dict(job["result"])
        time.sleep(0.5)
    raise AssertionError(f"retrain job did not finish in {timeout_s:.0f} s")
