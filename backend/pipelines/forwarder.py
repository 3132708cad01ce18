"""Labelled logs out: send each received batch, with its `sift.*` attributes, to the next
OTLP/HTTP receiver before the sender is answered.

Acknowledged means forwarded: the receiver answers its client only after the downstream
receiver took the batch, so a record is never held only in sift's memory. When the
downstream stays unreachable past the retries, the client gets 503 with Retry-After and
sends the batch again (OpenTelemetry exporters and the Collector retry 429/502/503/504),
so nothing is lost and nothing needs a disk queue. Memory is bounded by the number of
batches in flight; beyond it the client is told to come back (503), not queued.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field

import httpx

from backend.core.redact import redact_url
from backend.core.retry import retry_after_seconds
from backend.pipelines.otlp import PROTOBUF, decode_response

logger = logging.getLogger(__name__)

RETRYABLE = frozenset({429, 502, 503, 504})


class ForwardUnavailableError(RuntimeError):
    """The downstream receiver did not take the batch in time; the client should retry."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ForwardRefusedError(RuntimeError):
    """The downstream receiver refused the batch for good (a 4xx other than 429)."""


@dataclass
class ForwarderStats:
    """Counters for /metrics and /ready."""

    batches: int = 0
    records: int = 0
    retries: int = 0
    failures: int = 0  # batches given back to the client (503) after the retries
    refused: int = 0  # records the downstream refused for good
    busy: int = 0  # batches turned away because too many were in flight
    consecutive_failures: int = 0
    last_error: str = ""
    last_success: float = field(default=0.0)


class OTLPForwarder:
    """POSTs protobuf export requests to `endpoint`, with backoff and a deadline."""

    def __init__(self, endpoint: str, headers: dict[str, str] | None = None,
                 timeout_s: float = 10.0, max_retries: int = 5, max_in_flight: int = 8,
                 backoff_s: float = 0.2) -> None:
        self.endpoint = endpoint
        self.headers = {"Content-Type": PROTOBUF, **(headers or {})}
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.max_in_flight = max_in_flight
        self.backoff_s = backoff_s
        self.stats = ForwarderStats()
        self._in_flight = 0
        self._client: httpx.AsyncClient | None = None

    @property
    def healthy(self) -> bool:
        return self.stats.consecutive_failures == 0

    def status(self) -> dict[str, object]:
        """What /ready shows (the endpoint without credentials)."""
        s = self.stats
        return {"endpoint": redact_url(self.endpoint), "healthy": self.healthy,
                "in_flight": self._in_flight,
                "forwarded_records": s.records, "retries": s.retries, "failures": s.failures,
                "consecutive_failures": s.consecutive_failures, "last_error": s.last_error}

    async def forward(self, payload: bytes, n_records: int) -> None:
        """Deliver one batch or raise ForwardUnavailableError / ForwardRefusedError."""
        if self._in_flight >= self.max_in_flight:
            self.stats.busy += 1
            raise ForwardUnavailableError(
                f"{self._in_flight} batches are being forwarded already", retry_after=1.0)
        self._in_flight += 1
        try:
            await self._deliver(payload, n_records)
        finally:
            self._in_flight -= 1

    async def _deliver(self, payload: bytes, n_records: int) -> None:
        deadline = time.monotonic() + self.timeout_s
        error = ""
        for attempt in range(self.max_retries + 1):
            wait: float | None = None
            try:
                response = await self._http().post(
                    self.endpoint, content=payload, headers=self.headers,
                    timeout=max(0.1, deadline - time.monotonic()))
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
            else:
                if response.status_code < 300:
                    self._succeeded(response, n_records)
                    return
                error = f"downstream answered {response.status_code}"
                if response.status_code not in RETRYABLE:
                    self.stats.refused += n_records
                    self.stats.last_error = error
                    raise ForwardRefusedError(error)
                wait = retry_after_seconds(response.headers)
            if wait is None:
                wait = self.backoff_s * 2**attempt * random.uniform(0.8, 1.2)
            if attempt == self.max_retries or time.monotonic() + wait > deadline:
                break
            self.stats.retries += 1
            await asyncio.sleep(wait)
        self.stats.failures += 1
        self.stats.consecutive_failures += 1
        self.stats.last_error = error
        logger.warning("OTLP forward to %s failed: %s", self.endpoint, error)
        raise ForwardUnavailableError(f"the downstream receiver did not take the batch ({error})",
                                      retry_after=max(1.0, self.backoff_s * 4))

    def _succeeded(self, response: httpx.Response, n_records: int) -> None:
        rejected, message = decode_response(response.content, PROTOBUF)
        s = self.stats
        s.batches += 1
        s.records += n_records - rejected
        s.refused += rejected
        s.consecutive_failures = 0
        s.last_success = time.time()
        if rejected:
            s.last_error = f"downstream rejected {rejected} records: {message}"[:300]

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(trust_env=False)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
