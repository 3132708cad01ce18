"""Whole-file jobs for the API (`POST /v1/logs/jobs`, `/v1/sessions/jobs`): one file run
in the background on the bulk engine's chunks, with progress, cancel, owner and retention.

A job's work is a function of a `Progress` (rows done / total, and its cancel flag); it
runs in one worker thread (two cores: one file at a time, the requests keep the rest),
inside a copy of the submitting request's context, so the LLM quota counts the caller
(`current_client`) while cancellation is the job's own (`CancelScope`). Results stay on
disk in the job's folder until JOB_RETENTION_S after the job ended.
"""

from __future__ import annotations

import contextvars
import logging
import queue
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.core.cancel import CancelScope, WorkCancelled, current_scope
from backend.core.errors import ProblemError
from backend.core.quota import RowQuota, current_refusals

logger = logging.getLogger(__name__)
ACTIVE = ("queued", "running")
RESULT_FILE = "result.csv"


class JobFailed(Exception):
    """A job that cannot finish, with the status and message a request would have got."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass
class Progress:
    """What the work reports while it runs, and how it learns it was cancelled."""

    scope: CancelScope = field(default_factory=CancelScope)
    phase: str = "queued"  # queued | reading | classifying | summarising | done
    rows_done: int = 0
    rows_total: int | None = None
    quota: RowQuota | None = None  # JOB_QUOTA: the rows count once the file is read

    def step(self, phase: str, done: int | None = None, total: int | None = None) -> None:
        """Report progress, then stop here if the job was cancelled. The first `total`
        is charged to the caller's JOB_QUOTA (429 when it is used up)."""
        self.scope.check()
        if total is not None and self.rows_total is None:
            if self.quota is not None and not self.quota.allow(total):
                raise JobFailed(429, f"The {total:,} rows of this file would pass your "
                                     "JOB_QUOTA; retry later or send a smaller file.")
            self.rows_total = total
        self.phase = phase
        if done is not None:
            self.rows_done = done


Work = Callable[[Progress, Path], dict[str, Any]]


@dataclass
class FileJob:
    id: str
    kind: str  # logs | sessions
    owner: str
    folder: Path
    filename: str
    status: str = "queued"  # queued | running | succeeded | failed | cancelled
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    progress: Progress = field(default_factory=Progress)
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None  # {"status", "detail"} as a request would get

    @property
    def result_path(self) -> Path:
        return self.folder / RESULT_FILE

    def public(self, retention_s: float) -> dict[str, Any]:
        p = self.progress
        share = (p.rows_done / p.rows_total if p.rows_total else
                 (1.0 if self.status == "succeeded" else 0.0))
        expires = self.finished + retention_s if self.finished is not None else None
        return {"id": self.id, "kind": self.kind, "status": self.status,
                "filename": self.filename, "created": self.created, "started": self.started,
                "finished": self.finished, "expires": expires,
                "progress": {"phase": p.phase, "rows_done": p.rows_done,
                             "rows_total": p.rows_total, "share": round(min(share, 1.0), 4)},
                "result": self.result, "error": self.error}


class FileJobs:
    """The app's file jobs: submit, read (owner or admin only), cancel, expire."""

    def __init__(self, root: Path | None, retention_s: float, max_per_client: int,
                 quota: RowQuota | None = None) -> None:
        self.root = root
        self.quota = quota
        self.retention_s = retention_s
        self.max_per_client = max_per_client
        self._jobs: dict[str, FileJob] = {}
        self._queue: queue.Queue[tuple[FileJob, Work, contextvars.Context]] = queue.Queue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def submit(self, kind: str, owner: str, filename: str, data: bytes, suffix: str,
               work: Work) -> FileJob:
        """Keep the upload in the job's folder and queue `work(progress, input_path)`; 429
        when the owner already has JOB_MAX_PER_CLIENT jobs queued or running."""
        self.expire()
        with self._lock:
            mine = sum(j.owner == owner and j.status in ACTIVE for j in self._jobs.values())
            if mine >= self.max_per_client:
                raise ProblemError(429, f"You have {mine} file job(s) queued or running "
                                        f"(JOB_MAX_PER_CLIENT={self.max_per_client}); wait for "
                                        "one to finish or cancel it (DELETE the job).")
            if self.root is not None:
                self.root.mkdir(parents=True, exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix="sift-job-", dir=self.root))
            job = FileJob(uuid.uuid4().hex, kind, owner, folder, filename[:200],
                          progress=Progress(quota=self.quota))
            self._jobs[job.id] = job
            if self._worker is None:
                self._worker = threading.Thread(target=self._loop, name="file-jobs",
                                                daemon=True)
                self._worker.start()
        path = folder / f"input{suffix}"
        path.write_bytes(data)
        self._queue.put((job, work, contextvars.copy_context()))
        return job

    def _loop(self) -> None:
        while True:
            job, work, context = self._queue.get()
            context.run(self._run, job, work, job.folder / next(
                (p.name for p in job.folder.glob("input*")), "input"))

    def _run(self, job: FileJob, work: Work, path: Path) -> None:
        if job.status != "queued":  # cancelled while it waited
            return
        current_scope.set(job.progress.scope)  # the job's own cancel flag, no deadline
        current_refusals.set(None)
        job.status, job.started = "running", time.time()
        try:
            job.result = work(job.progress, path)
            job.status, job.progress.phase = "succeeded", "done"
        except WorkCancelled:
            job.status = "cancelled"
        except (JobFailed, ProblemError) as exc:
            status = exc.status
            detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
            job.status, job.error = "failed", {"status": status, "detail": detail}
        except Exception:  # reported on the job, details in the service log
            logger.exception("file job %s (%s) failed", job.id, job.kind)
            job.status = "failed"
            job.error = {"status": 500, "detail": f"The job failed; details are in the "
                                                  f"service log (job {job.id})."}
        finally:
            job.finished = time.time()
            path.unlink(missing_ok=True)  # the upload is not kept once read

    def get(self, job_id: str, caller: str, admin: bool) -> FileJob:
        """The job, to its owner or the admin; 404 otherwise (its existence is not told)."""
        self.expire()
        job = self._jobs.get(job_id)
        if job is None or not (admin or job.owner == caller):
            raise ProblemError(404, f"No file job {job_id!r} for this caller: ids come from "
                                    f"POST .../jobs, a job is shown only to the caller who "
                                    f"started it (or the admin) and is kept "
                                    f"{self.retention_s:g} s after it ends (JOB_RETENTION_S).")
        return job

    def cancel(self, job: FileJob) -> None:
        """Stop a queued or running job at its next checkpoint (between chunks at most)."""
        if job.status == "queued":
            job.status, job.finished = "cancelled", time.time()
        job.progress.scope.cancel("cancelled by its caller")

    def expire(self) -> None:
        """Forget jobs (and delete their files) JOB_RETENTION_S after they ended."""
        now = time.time()
        with self._lock:
            old = [j for j in self._jobs.values() if j.finished is not None
                   and now - j.finished > self.retention_s and j.status not in ACTIVE]
            for job in old:
                del self._jobs[job.id]
        for job in old:
            shutil.rmtree(job.folder, ignore_errors=True)

    def close(self) -> None:
        """App shutdown: cancel what runs and delete every job's files."""
        with self._lock:
            jobs = list(self._jobs.values())
            self._jobs.clear()
        for job in jobs:
            job.progress.scope.cancel("the service is shutting down")
            shutil.rmtree(job.folder, ignore_errors=True)
