"""What the live stream of log predictions feeds: label-rate counters for alerting and the
drift monitor.

Counters are updated on the request (one `inc` per distinct source/label/tier of a
batch). Drift needs each row's template key, so batches go to a background thread
through a bounded queue: a request never waits for it, and when the queue is full the
batch is left out of the drift window and counted (`sift_drift_batches_skipped`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from backend.core.config import Settings
from backend.logs.drift import OTHER, DriftMonitor, DriftThresholds, Reference, SourceDrift
from backend.registry.active import ModelManager, ModelNotLoadedError

logger = logging.getLogger(__name__)

MAX_SOURCE_CHARS = 64
_QUEUE_BATCHES = 64
REPORT_EVERY_S = 15.0


class SourceNames:
    """Bounded metric label values: the first `limit` sources seen keep their name, the
    rest fold into `other` (Prometheus cost grows with every distinct label value)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, source: str) -> str:
        source = source[:MAX_SOURCE_CHARS] or "unknown"
        if source in self._known:
            return source
        with self._lock:
            if len(self._known) < self.limit:
                self._known.add(source)
                return source
        return OTHER


class StreamObserver:
    """Label rates per source/label/tier, and the drift monitor fed in the background."""

    def __init__(self, registry: CollectorRegistry, manager: ModelManager,
                 settings: Settings) -> None:
        self.manager = manager
        self.model_name = settings.LOG_MODEL_NAME
        self.names = SourceNames(settings.METRICS_MAX_SOURCES)
        self.labels = Counter("sift_log_labels", "Log predictions by source, label and tier "
                              f"(sources beyond METRICS_MAX_SOURCES={settings.METRICS_MAX_SOURCES}"
                              " are counted as 'other')", ["source", "label", "tier"],
                              registry=registry)
        self.skipped = Counter("sift_drift_batches_skipped", "Batches left out of the drift "
                               "window because its queue was full", registry=registry)
        self.drift: DriftMonitor | None = None
        # called with the drift report after a batch, at most every REPORT_EVERY_S
        self.on_report: Callable[[list[SourceDrift]], None] | None = None
        self._reported = 0.0
        self._queue: queue.Queue[Sequence[Any]] = queue.Queue(_QUEUE_BATCHES)
        if settings.DRIFT_ENABLED:
            self.drift = DriftMonitor(
                window_s=settings.DRIFT_WINDOW_S, max_sources=settings.METRICS_MAX_SOURCES,
                thresholds=DriftThresholds(
                    new_templates=settings.DRIFT_MAX_NEW_TEMPLATE_SHARE,
                    psi=settings.DRIFT_MAX_LABEL_PSI,
                    mean_confidence=settings.DRIFT_MIN_MEAN_CONFIDENCE,
                    min_records=settings.DRIFT_MIN_RECORDS))
            registry.register(_DriftCollector(self.drift))
        self._thread: threading.Thread | None = None  # started with the first batch
        self._thread_lock = threading.Lock()

    def observe(self, predictions: Sequence[Any]) -> None:
        """Count a batch. Rows answered alike may share one Prediction object (the CSV
        path), so the work is per distinct object, weighted by how often it occurs."""
        tally: Tally[tuple[str, str, str]] = Tally()
        for p, n in _distinct(predictions):
            tally[(p.source, p.label, p.tier)] += n
        for (source, label, tier), n in tally.items():
            self.labels.labels(self.names(source), label, tier).inc(n)
        if self.drift is not None and predictions:
            self._ensure_thread()
            try:
                self._queue.put_nowait(predictions)
            except queue.Full:
                self.skipped.inc()

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._thread_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._drain, daemon=True,
                                                    name="drift-observer")
                    self._thread.start()

    def flush(self, timeout_s: float = 5.0) -> None:
        """Wait until queued batches are in the drift window (tests, GET /v1/drift)."""
        if self._thread is None:
            return  # nothing was ever queued
        done = threading.Event()
        self._queue.put(_Marker(done), timeout=timeout_s)
        done.wait(timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the drift thread once the batches queued before are observed (shutdown)."""
        thread = self._thread
        if thread is not None:
            self._queue.put(_STOP, timeout=timeout_s)
            thread.join(timeout_s)
            self._thread = None

    def _drain(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is _STOP:
                return
            if isinstance(batch, _Marker):
                batch.event.set()
                continue
            try:
                self._to_drift(batch)
                self._report()
            except Exception:  # the monitor must never take the service down
                logger.exception("drift observation failed")

    def _report(self) -> None:
        now = time.monotonic()
        if self.on_report is None or self.drift is None or now - self._reported < REPORT_EVERY_S:
            return
        self._reported = now
        self.on_report(self.drift.report())

    def _to_drift(self, batch: Sequence[Any]) -> None:
        assert self.drift is not None
        try:
            classifier = self.manager.get(self.model_name).model
        except ModelNotLoadedError:
            return
        reference = self.drift.reference
        if reference is None or reference.version != classifier.version:
            model = classifier.model  # its labelled examples: the training keys and mix
            self.drift.set_reference(Reference.from_examples(
                classifier.version, model.example_keys, model.example_labels,
                model.example_sources))
        if batch[0].model_version != classifier.version:
            return  # answered by the version before a switch: not this reference
        rows = _distinct(batch)
        texts = [p.log_message for p, _ in rows]
        keys = [key if text.strip() else ""
                for key, text in zip(classifier.keys(texts), texts, strict=True)]
        self.drift.observe([p.source for p, _ in rows], keys, [p.label for p, _ in rows],
                           [float(p.confidence) for p, _ in rows], classifier.threshold_for(),
                           weights=[n for _, n in rows])


_STOP: Any = object()  # the queue item that ends the drift thread


def _distinct(predictions: Sequence[Any]) -> list[tuple[Any, int]]:
    """(prediction, rows it stands for), one entry per distinct object, in first-seen order."""
    counts = Tally(map(id, predictions))
    if len(counts) == len(predictions):
        return [(p, 1) for p in predictions]
    first: dict[int, Any] = {}
    for p in predictions:
        first.setdefault(id(p), p)
    return [(p, counts[key]) for key, p in first.items()]


class _Marker(list[Any]):
    """A queue item that only signals the drain has reached it."""

    def __init__(self, event: threading.Event) -> None:
        super().__init__()
        self.event = event



class _DriftCollector(Collector):
    """Per-source drift gauges, read at scrape time (alert on `sift_drift_drifting == 1`)."""

    def __init__(self, monitor: DriftMonitor) -> None:
        self.monitor = monitor

    def collect(self) -> Iterator[Metric]:
        gauges = {
            "new_template_share": GaugeMetricFamily(
                "sift_drift_new_template_share", "Share of template keys never seen in "
                "training, over DRIFT_WINDOW_S", labels=["source"]),
            "mean_confidence": GaugeMetricFamily(
                "sift_drift_mean_confidence", "Mean confidence over DRIFT_WINDOW_S",
                labels=["source"]),
            "label_psi": GaugeMetricFamily(
                "sift_drift_label_psi", "Population stability index of the label mix "
                "against the training mix", labels=["source"]),
            "drifting": GaugeMetricFamily(
                "sift_drift_drifting", "1 when a drift threshold is passed", labels=["source"]),
        }
        for row in self.monitor.report():
            for name, gauge in gauges.items():
                gauge.add_metric([row.source], float(getattr(row, name)))
        yield from gauges.values()
