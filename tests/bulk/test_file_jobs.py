"""The file-job runner on its own: cancel, one owner's limit, retention, failures."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from backend.bulk.filejobs import FileJob, FileJobs, JobFailed, Progress
from backend.core.errors import ProblemError


def _until(job: FileJob, timeout_s: float = 10.0) -> FileJob:
    deadline = time.monotonic() + timeout_s
    while job.status in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.01)
    return job


def endless(progress: Progress, path: Path) -> dict[str, Any]:
    """Steps forever over the upload (a file much larger than its time allows)."""
    done = 0
    while True:
        done += len(path.read_bytes())
        progress.step("classifying", done, 10**12)
        time.sleep(0.005)


def count_lines(progress: Progress, path: Path) -> dict[str, Any]:
    lines = path.read_text().splitlines()
    for i in range(len(lines)):
        progress.step("classifying", i + 1, len(lines))
    return {"rows": len(lines)}


def test_a_running_job_stops_when_cancelled(tmp_path: Path) -> None:
    jobs = FileJobs(tmp_path, retention_s=60, max_per_client=2)
    job = jobs.submit("logs", "alice", "big.log", b"x\n" * 10, ".log", endless)
    while job.progress.rows_done == 0:
        time.sleep(0.01)
    jobs.cancel(job)
    assert _until(job).status == "cancelled" and job.progress.rows_done > 0
    assert not (job.folder / "input.log").exists()  # the upload is not kept


def test_a_queued_job_cancelled_never_runs_and_owners_are_limited(tmp_path: Path) -> None:
    jobs = FileJobs(tmp_path, retention_s=60, max_per_client=2)
    first = jobs.submit("logs", "alice", "a.log", b"x\n", ".log", endless)
    second = jobs.submit("logs", "alice", "b.log", b"y\n", ".log", count_lines)
    with pytest.raises(ProblemError) as refused:
        jobs.submit("logs", "alice", "c.log", b"z\n", ".log", count_lines)
    assert refused.value.status == 429 and "JOB_MAX_PER_CLIENT=2" in refused.value.detail
    bobs = jobs.submit("logs", "bob", "d.log", b"1\n2\n", ".log", count_lines)
    jobs.cancel(second)
    jobs.cancel(first)
    assert _until(first).status == "cancelled" and _until(second).status == "cancelled"
    assert second.started is None
    assert _until(bobs).status == "succeeded" and bobs.result == {"rows": 2}


def test_jobs_are_read_by_their_owner_or_the_admin_and_expire(tmp_path: Path) -> None:
    jobs = FileJobs(tmp_path, retention_s=60, max_per_client=2)
    job = _until(jobs.submit("sessions", "alice", "e.csv", b"1\n", ".csv", count_lines))
    assert jobs.get(job.id, "alice", admin=False) is job
    assert jobs.get(job.id, "admin", admin=True) is job
    with pytest.raises(ProblemError) as hidden:
        jobs.get(job.id, "bob", admin=False)
    assert hidden.value.status == 404
    assert job.finished is not None
    job.finished -= 61  # ended more than JOB_RETENTION_S ago
    with pytest.raises(ProblemError):
        jobs.get(job.id, "alice", admin=False)
    assert not job.folder.exists()


def test_a_failed_job_keeps_the_status_a_request_would_get(tmp_path: Path) -> None:
    def refuse(progress: Progress, path: Path) -> dict[str, Any]:
        raise JobFailed(413, "too many rows")

    def crash(progress: Progress, path: Path) -> dict[str, Any]:
        raise RuntimeError("secret path /etc/x")

    jobs = FileJobs(tmp_path, retention_s=60, max_per_client=2)
    refused = _until(jobs.submit("logs", "a", "x.csv", b"", ".csv", refuse))
    crashed = _until(jobs.submit("logs", "a", "x.csv", b"", ".csv", crash))
    assert refused.error == {"status": 413, "detail": "too many rows"}
    assert crashed.status == "failed" and crashed.error is not None
    assert crashed.error["status"] == 500 and "/etc" not in crashed.error["detail"]
