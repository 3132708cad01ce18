"""The OTLP receiver's state: admission (how many export requests are classified at once),
the optional forwarder, and the counters /metrics shows for both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from backend.core.config import Settings
from backend.core.errors import ProblemError
from backend.core.inflate import InflateError, InflateTooLarge, inflate
from backend.pipelines.forwarder import OTLPForwarder


class OTLPReceiver:
    """Per-app: admission limit, forwarder, counters."""

    def __init__(self, settings: Settings) -> None:
        self.max_in_flight = settings.OTLP_MAX_IN_FLIGHT
        self.in_flight = 0
        self.forwarder: OTLPForwarder | None = None
        if settings.OTLP_FORWARD_ENDPOINT:
            self.forwarder = OTLPForwarder(
                settings.OTLP_FORWARD_ENDPOINT,
                {k: v.get_secret_value() for k, v in settings.OTLP_FORWARD_HEADERS.items()},
                timeout_s=settings.OTLP_FORWARD_TIMEOUT_S,
                max_retries=settings.OTLP_FORWARD_MAX_RETRIES,
                max_in_flight=settings.OTLP_FORWARD_MAX_IN_FLIGHT)
        self.received = Counter("sift_otlp_records_received", "Log records received on "
                                "POST /v1/logs (OTLP)", registry=None)
        self.rejected = Counter("sift_otlp_records_rejected", "OTLP log records rejected "
                                "(reported in partial_success)", ["reason"], registry=None)
        self.busy = Counter("sift_otlp_busy", "OTLP export requests answered 503 (saturated "
                            "or downstream unavailable)", ["cause"], registry=None)

    def register(self, registry: CollectorRegistry) -> None:
        for counter in (self.received, self.rejected, self.busy):
            registry.register(counter)
        if self.forwarder is not None:
            registry.register(_ForwarderCollector(self.forwarder))

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold one of OTLP_MAX_IN_FLIGHT slots, or refuse with 503 + Retry-After (exporters
        retry it). Runs on the event loop, so the check and the increment cannot interleave."""
        if self.in_flight >= self.max_in_flight:
            self.busy.labels("saturated").inc()
            raise ProblemError(503, f"{self.in_flight} OTLP export requests are being "
                                    "classified; retry after the delay in Retry-After.",
                               title="Busy", headers={"Retry-After": "1"})
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    async def close(self) -> None:
        if self.forwarder is not None:
            await self.forwarder.close()


def decompress(body: bytes, encoding: str | None, max_bytes: int) -> bytes:
    """Undo Content-Encoding gzip/deflate (the Collector sends gzip by default), refusing a
    body that inflates past `max_bytes` (413) or is not what it claims (400)."""
    kind = (encoding or "identity").strip().lower()
    if kind in ("", "identity"):
        return body
    if kind not in ("gzip", "deflate"):
        raise ProblemError(415, f"Content-Encoding {kind!r} is not supported; send gzip, "
                                "deflate or no encoding.")
    try:  # every gzip member (a concatenated body is not cut short), bounded
        return inflate(body, max_bytes, kind)
    except InflateTooLarge:
        raise ProblemError(413, f"The body inflates past the {max_bytes / 2**20:g} MB limit "
                                "(MAX_UPLOAD_MB). Send smaller batches.") from None
    except InflateError as exc:
        raise ProblemError(400, f"The body is not valid {kind} ({exc}).") from None


class _ForwarderCollector(Collector):
    def __init__(self, forwarder: OTLPForwarder) -> None:
        self.forwarder = forwarder

    def collect(self) -> Iterator[Metric]:
        s = self.forwarder.stats
        for name, doc, value in (
                ("sift_otlp_forwarded_records", "Records delivered downstream", s.records),
                ("sift_otlp_forward_batches", "Batches delivered downstream", s.batches),
                ("sift_otlp_forward_retries", "Retries of forwarded batches", s.retries),
                ("sift_otlp_forward_failures", "Batches not delivered after the retries "
                 "(the sender got 503 and retries)", s.failures),
                ("sift_otlp_forward_refused_records", "Records the downstream refused for good",
                 s.refused)):
            yield CounterMetricFamily(name, doc, value=value)
        yield GaugeMetricFamily("sift_otlp_forward_healthy", "1 when the last forward "
                                "succeeded", value=1.0 if self.forwarder.healthy else 0.0)

