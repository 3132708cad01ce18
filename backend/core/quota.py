"""Quotas on remote LLM calls, per client and for the whole service (issue 19).

The per-request budget (LLM_CALL_BUDGET) bounds one request; these bound what
a client, and everyone together, may spend per minute and per day. Counters
live where the rate limit's do (RATE_LIMIT_STORAGE: memory, or Redis shared by
every worker). The client is the one the request guard identified; it reaches
the LLM tier through `current_client` (context variables follow run_in_threadpool).
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

logger = logging.getLogger(__name__)
OFF = {"", "off", "none", "0", "false", "disabled"}

current_client: ContextVar[str] = ContextVar("sift_client", default="local")


@dataclass
class Refusals:
    """Per-request state: what the quotas refused (the guard turns it into Retry-After),
    and whether the request was abandoned after REQUEST_TIMEOUT_S."""

    retry_after: int = 0
    calls: int = 0
    reasons: list[str] = field(default_factory=list)
    abandoned: bool = False  # the request got its 504: remote calls behind it stop


def abandoned() -> bool:
    """Whether the current request was already answered 504 (its work should stop)."""
    state = current_refusals.get()
    return state is not None and state.abandoned


current_refusals: ContextVar[Refusals | None] = ContextVar("sift_refusals", default=None)


@functools.lru_cache(maxsize=64)
def _limits(spec: str) -> tuple[RateLimitItem, ...]:
    """Parsed once per spec: the quota checks run on every request."""
    return () if spec.strip().lower() in OFF else tuple(parse_many(spec))


class CallQuota:
    """`grant(n)` -> how many of `n` remote calls the current client may make now."""

    def __init__(self, per_client: str, global_: str, storage_uri: str = "memory://") -> None:
        self.per_client = _limits(per_client)
        self.global_ = _limits(global_)
        self._limiter = FixedWindowRateLimiter(storage_from_string(storage_uri))
        self.refused = 0
        self._lock = threading.Lock()

    def grant(self, wanted: int) -> tuple[int, str | None]:
        """Reserve up to `wanted` calls; (granted, why the rest were refused or None)."""
        client = current_client.get()
        checks = ([(item, f"client:{client}", "LLM_QUOTA_PER_CLIENT") for item in self.per_client]
                  + [(item, "global", "LLM_QUOTA_GLOBAL") for item in self.global_])
        for granted in range(wanted):
            for item, key, setting in checks:
                try:
                    allowed = self._limiter.hit(item, "llm", key)
                except Exception as exc:  # storage down: the per-request budget still holds
                    logger.warning("LLM quota storage unavailable (%s); not limiting", exc)
                    return wanted, None
                if not allowed:
                    return granted, self._refuse(item, key, setting, wanted - granted)
        return wanted, None

    def _refuse(self, item: RateLimitItem, key: str, setting: str, calls: int) -> str:
        reset = self._limiter.get_window_stats(item, "llm", key).reset_time
        retry = max(1, math.ceil(reset - time.time()))
        with self._lock:
            self.refused += calls
        refusals = current_refusals.get()
        why = f"LLM quota {item} ({setting}) used up; retry after {retry} s"
        if refusals is not None:
            refusals.retry_after = max(refusals.retry_after, retry)
            refusals.calls += calls
            refusals.reasons.append(why)
        return why


_shared: dict[tuple[str, str, str], CallQuota] = {}
_shared_lock = threading.Lock()


def shared_quota(per_client: str, global_: str, storage_uri: str) -> CallQuota | None:
    """One quota per configuration in this process (every served version counts against
    the same counters); None when both are off."""
    if not _limits(per_client) and not _limits(global_):
        return None
    key = (per_client, global_, storage_uri)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = CallQuota(per_client, global_, storage_uri)
        return _shared[key]


class RowQuota:
    """How many stored rows (served predictions) the current client may add per window;
    all of a batch or none (RECORD_QUOTA)."""

    def __init__(self, spec: str, storage_uri: str = "memory://",
                 namespace: str = "rows") -> None:
        self.items = _limits(spec)
        self.namespace = namespace  # what is counted: stored rows, or rows of file jobs
        self._limiter = FixedWindowRateLimiter(storage_from_string(storage_uri))

    def allow(self, rows: int) -> bool:
        client = current_client.get()
        try:
            if not all(self._limiter.test(item, self.namespace, client, cost=rows)
                       for item in self.items):
                return False
            for item in self.items:
                self._limiter.hit(item, self.namespace, client, cost=rows)
        except Exception as exc:  # storage down: store (the size caps still hold)
            logger.warning("record quota storage unavailable (%s); not limiting", exc)
        return True


_rows: dict[tuple[str, str, str], RowQuota] = {}


def shared_row_quota(spec: str, storage_uri: str, namespace: str = "rows") -> RowQuota | None:
    """One row quota per configuration in this process; None when off. `namespace`
    separates the counters (RECORD_QUOTA: "rows", JOB_QUOTA: "job-rows")."""
    if not _limits(spec):
        return None
    key = (spec, storage_uri, namespace)
    with _shared_lock:
        if key not in _rows:  # built once: a limiter and its storage per call cost ~1 ms
            _rows[key] = RowQuota(spec, storage_uri, namespace)
        return _rows[key]
