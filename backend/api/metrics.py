"""Prometheus metrics: requests, latency, predictions, abstentions, LLM use, cache hits.

Each app owns its registry (tests build many apps in one process). Route handlers
report predictions through `observe_predictions`, which finds the app's metrics
via a context variable the request middleware sets, so handlers need no extra
parameter.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from backend.api.state import state_of
from backend.api.stream import StreamObserver
from backend.core.config import Settings
from backend.core.labels import UNCLASSIFIED
from backend.registry.active import ModelManager

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0)

class ServiceMetrics:
    """The app's collectors; `observe_*` methods are what the middleware and handlers call."""

    def __init__(self, manager: ModelManager, settings: Settings) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.requests = Counter("sift_http_requests", "HTTP requests by route and status",
                                ["method", "route", "status"], registry=reg)
        self.latency = Histogram("sift_http_request_duration_seconds", "Request latency",
                                 ["method", "route"], buckets=LATENCY_BUCKETS, registry=reg)
        self.in_flight = Gauge("sift_http_requests_in_flight", "Requests being served",
                               registry=reg)
        self.rate_limited = Counter("sift_rate_limited", "Requests refused with 429",
                                    registry=reg)
        self.timeouts = Counter("sift_request_timeouts", "Requests answered 504 after "
                                "REQUEST_TIMEOUT_S", registry=reg)
        self.predictions = Counter("sift_predictions", "Log predictions by tier and label",
                                   ["tier", "label"], registry=reg)
        self.abstentions = Counter("sift_abstentions", "Predictions returned as Unclassified",
                                   ["tier"], registry=reg)
        self.stages = Counter("sift_model_stage", "Model-tier answers by cascade stage (fast: "
                              "static stage 1, full: MiniLM)", ["stage"], registry=reg)
        self.llm_errors = Counter("sift_llm_errors", "Rows the LLM tier could not answer "
                                  "(timeouts, HTTP errors, malformed replies, budget)",
                                  registry=reg)
        self.llm_quota_refused = Counter(
            "sift_llm_quota_refused", "Remote LLM calls refused by LLM_QUOTA_PER_CLIENT or "
            "LLM_QUOTA_GLOBAL (those rows abstained)", registry=reg)
        reg.register(_ModelCollector(manager, settings, self))
        self.stream = StreamObserver(reg, manager, settings)  # label rates and drift

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def observe_predictions(self, predictions: Sequence[Any], live: bool = True) -> None:
        """Count served predictions; `live` ones also feed the stream (label rates per source,
        patterns, drift): a file upload is live traffic only when its caller says so."""
        # tallied first: one counter update per (tier, label), not per row
        tally = Tally((p.tier, p.label, p.tier == "llm" and p.label == UNCLASSIFIED
                       and (p.reason or "").startswith("LLM call")) for p in predictions)
        for (tier, label, llm_error), n in tally.items():
            self.predictions.labels(tier, label).inc(n)
            if label == UNCLASSIFIED:
                self.abstentions.labels(tier).inc(n)
            if llm_error:
                self.llm_errors.inc(n)
        stages = Tally(s for p in predictions if (s := getattr(p, "stage", None)))
        for stage, n in stages.items():
            self.stages.labels(stage).inc(n)
        if live:
            self.stream.observe(predictions)

    def totals(self) -> tuple[float, float]:
        """(predictions, abstentions) so far."""
        def total(counter: Counter) -> float:
            return sum(s.value for m in counter.collect() for s in m.samples
                       if s.name.endswith("_total"))
        return total(self.predictions), total(self.abstentions)

    def render(self) -> bytes:
        return generate_latest(self.registry)


current_metrics: ContextVar[ServiceMetrics | None] = ContextVar("sift_metrics", default=None)
# whether this request's lines are live traffic: streams (JSON, NDJSON, text, OTLP) are;
# a file upload sets it from its `live` parameter (default: not live)
live_traffic: ContextVar[bool] = ContextVar("sift_live_traffic", default=True)


def observe_predictions(predictions: Sequence[Any]) -> None:
    """Count predictions in the current app's metrics (no-op outside a request)."""
    metrics = current_metrics.get()
    if metrics is not None:
        metrics.observe_predictions(predictions, live=live_traffic.get())


class _ModelCollector(Collector):
    """Read at scrape time: abstain ratio, LLM calls and cost, cache hit rates, versions."""

    def __init__(self, manager: ModelManager, settings: Settings,
                 metrics: ServiceMetrics) -> None:
        self.manager = manager
        self.settings = settings
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        predicted, abstained = self.metrics.totals()
        yield GaugeMetricFamily("sift_abstain_ratio", "Share of predictions Unclassified",
                                value=abstained / predicted if predicted else 0.0)
        info = GaugeMetricFamily("sift_model_info", "Served model versions", labels=["model",
                                                                                      "version"])
        calls = CounterMetricFamily("sift_llm_calls", "Remote LLM calls by the served model")
        cost = CounterMetricFamily("sift_llm_cost_usd", "Estimated LLM spend "
                                   "(calls x LLM_COST_PER_CALL_USD)")
        hits = CounterMetricFamily("sift_cache_hits", "Cache hits", labels=["cache"])
        misses = CounterMetricFamily("sift_cache_misses", "Cache misses", labels=["cache"])
        ratio = GaugeMetricFamily("sift_cache_hit_ratio", "hits / (hits + misses)",
                                  labels=["cache"])
        n_calls = 0
        for name, entry in self.manager.active().items():
            info.add_metric([name, entry.version], 1.0)
            llm = getattr(entry.model, "llm", None)
            n_calls += getattr(llm, "calls", 0)
            for cache_name, cache in _caches(entry.model):
                hits.add_metric([cache_name], cache.hits)
                misses.add_metric([cache_name], cache.misses)
                seen = cache.hits + cache.misses
                ratio.add_metric([cache_name], cache.hits / seen if seen else 0.0)
        calls.add_metric([], n_calls)
        cost.add_metric([], n_calls * self.settings.LLM_COST_PER_CALL_USD)
        yield from (info, calls, cost, hits, misses, ratio)


def _caches(model: Any) -> list[tuple[str, Any]]:
    """The LRU caches a served classifier exposes (template keys, model-tier answers,
    embeddings, LLM answers)."""
    found = [("embedding", getattr(getattr(model, "embedder", None), "cache", None)),
             ("template_key", getattr(model, "_keys", None)),
             ("model_answer", getattr(model, "head_cache", None)),
             ("llm", getattr(getattr(model, "llm", None), "cache", None))]
    return [(name, cache) for name, cache in found if hasattr(cache, "hits")]


router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}},
                             "description": "Prometheus text format"}})
def read_metrics(request: Request) -> Response:
    """Prometheus metrics: requests, latency, predictions per tier and label, LLM, caches."""
    metrics = state_of(request).metrics
    assert metrics is not None  # the route is installed only with the metrics
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
