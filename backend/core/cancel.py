"""Cooperative cancellation of a request's work in worker threads.

A thread cannot be killed from outside, and the request guard's 504 only stops the
asyncio task that awaits it: a parse or a model pass in `run_in_threadpool` would go
on for minutes. So the guard opens a `CancelScope` per request (a context variable,
which worker threads inherit) and cancels it when the request times out or its client
goes away; heavy loops (raw log parsing, XES reading, step tagging) call `checkpoint()`
as they go and stop with `WorkCancelled`.

Parsing in pure Python also holds the interpreter lock, which the event loop needs to
answer anything (`/ready` included). Two such parses in parallel finish no sooner than
one after the other, and every extra thread makes the loop wait longer for the lock
(measured: three parsing threads kept a 1 ms sleep waiting 440 ms, one thread 40 ms).
So `gil_bound_work()` lets one large parse run at a time; the others wait, checking
their cancel flag, without holding the lock. Small inputs (under GIL_BOUND_BYTES) never
wait: they cost milliseconds, and must not queue behind a large one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


class WorkCancelled(Exception):
    """The request behind this work timed out or its client left; nobody wants the result.
    `status` is what the answer would be: 504 past the deadline, else 503."""

    def __init__(self, reason: str, status: int = 503) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class CancelScope:
    """One request's cancel flag and deadline (monotonic seconds)."""

    deadline: float = float("inf")
    reason: str | None = None
    status: int = 503

    def cancel(self, reason: str, status: int = 503) -> None:
        if self.reason is None:
            self.reason, self.status = reason, status

    def check(self) -> None:
        if self.reason is None and time.monotonic() > self.deadline:
            self.cancel("it took longer than REQUEST_TIMEOUT_S", 504)
        if self.reason is not None:
            raise WorkCancelled(self.reason, self.status)


current_scope: ContextVar[CancelScope | None] = ContextVar("sift_cancel_scope", default=None)


def checkpoint() -> None:
    """Raise WorkCancelled when the current request's work should stop (no-op outside one)."""
    scope = current_scope.get()
    if scope is not None:
        scope.check()


GIL_BOUND_BYTES = 4 << 20  # inputs larger than this take the one slot
_GIL_BOUND = threading.BoundedSemaphore(1)


@contextmanager
def gil_bound_work(size: int = GIL_BOUND_BYTES + 1) -> Iterator[None]:
    """Hold the process's one slot for pure-Python parsing of `size` bytes (a smaller input
    goes straight on); waiting for the slot is cancellable."""
    if size <= GIL_BOUND_BYTES:
        yield
        return
    while not _GIL_BOUND.acquire(timeout=0.05):
        checkpoint()
    try:
        yield
    finally:
        _GIL_BOUND.release()
