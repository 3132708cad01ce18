"""Background jobs (retraining) with pollable status; one at a time on 2 cores."""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class Job:
    id: str
    kind: str
    status: str = "queued"  # queued | running | succeeded | failed
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None

    def public(self) -> dict[str, Any]:
        return asdict(self)


class JobRunner:
    """In-process queue: jobs live as long as the process (status is kept in memory).
    The worker is a daemon thread, so a running job never holds up server shutdown."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Job, Callable[[], dict[str, Any]]]] = queue.Queue()
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def submit(self, kind: str, work: Callable[[], dict[str, Any]]) -> Job:
        job = Job(uuid.uuid4().hex, kind)
        with self._lock:
            self._jobs[job.id] = job
            if self._worker is None:
                self._worker = threading.Thread(target=self._loop, name="job-worker",
                                                daemon=True)
                self._worker.start()
        self._queue.put((job, work))
        return job

    def _loop(self) -> None:
        while True:
            job, work = self._queue.get()
            self._run(job, work)

    def _run(self, job: Job, work: Callable[[], dict[str, Any]]) -> None:
        job.status, job.started = "running", time.time()
        try:
            job.result = work()
            job.status = "succeeded"
        except Exception as exc:  # reported on GET /v1/jobs/{id}, not raised
            logger.exception("job %s (%s) failed", job.id, job.kind)
            # the details (paths, stderr of the child) stay in the service log
            job.error = f"{type(exc).__name__}; details in the service log (job {job.id})"
            job.status = "failed"
        finally:
            job.finished = time.time()

    def running(self, kind: str) -> Job | None:
        """A queued or running job of this kind, if any."""
        with self._lock:
            return next((j for j in self._jobs.values()
                         if j.kind == kind and j.status in ("queued", "running")), None)

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)
