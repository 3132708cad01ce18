"""Served predictions written to the feedback store off the request path.

A classify call needs prediction ids in its answer, not the row on disk: ids
are made at once and the rows are written by one background thread, several
requests per transaction. Nothing is dropped: when the queue is full the
caller writes its own batch (back-pressure), and after a failed write the
next callers write synchronously until the store answers again, so a broken
store shows as "not recorded" instead of ids that lead nowhere. `flush()`
waits for what is queued (feedback naming a fresh id, shutdown).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass

from backend.feedback.store import FeedbackStore, PredictionRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Batch:
    model: str
    version: str
    variant: str | None
    records: list[PredictionRecord]
    ids: list[str]


class PredictionRecorder:
    def __init__(self, store: FeedbackStore, max_pending: int = 1000,
                 linger_s: float = 0.5) -> None:
        self.store = store
        # a first batch waits this long for company: single-line calls arriving one by
        # one share a transaction instead of paying a commit (and the GIL) each; at 0.05 s
        # every ~15th call of a steady stream met a write, and the single-line p95 with it
        self.linger_s = linger_s
        self._queue: queue.Queue[_Batch | None] = queue.Queue(max_pending)
        self._healthy = True
        self._thread = threading.Thread(target=self._run, name="prediction-recorder",
                                        daemon=True)
        self._thread.start()

    def submit(self, model: str, version: str, records: list[PredictionRecord],
               variant: str | None = None) -> list[str]:
        """Ids for `records`, in order; raises only when a synchronous write fails."""
        batch = _Batch(model, version, variant, records, [uuid.uuid4().hex for _ in records])
        if self._healthy:
            try:
                self._queue.put_nowait(batch)
                return batch.ids
            except queue.Full:
                logger.warning("prediction recorder queue full: writing in the request")
        self._write([batch])
        return batch.ids

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every queued batch is written (or failed); False on timeout."""
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True, name="recorder-flush").start()
        return done.wait(timeout_s)

    def close(self, timeout_s: float = 10.0) -> None:
        self.flush(timeout_s)
        self._queue.put(None)
        self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                self._queue.task_done()
                return
            time.sleep(self.linger_s)
            batches = [first]
            while len(batches) < 256:  # what has piled up goes in one transaction
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # re-queued: stop after this write
                    self._queue.task_done()
                    break
                batches.append(more)
            try:
                self._write(batches)
            except Exception as exc:  # noqa: BLE001 - the store is optional; say so, go on
                lost = sum(len(b.records) for b in batches)
                logger.error("feedback store unavailable, %d predictions not recorded: %s",
                             lost, exc)
            finally:
                for _ in batches:
                    self._queue.task_done()

    def _write(self, batches: list[_Batch]) -> None:
        try:
            self.store.record_batches([(b.model, b.version, b.variant, b.records, b.ids)
                                       for b in batches])
        except Exception:
            self._healthy = False
            raise
        self._healthy = True
