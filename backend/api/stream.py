"""What the live stream of log predictions feeds: label-rate counters for alerting, the
pattern counts and the drift monitor.

Counters are updated on the request (one `inc` per distinct source/label/tier of a
batch). Patterns and drift need each row's template key, so batches go to a background
thread through a bounded queue: a request never waits for it, and when the queue is full
the batch is left out and counted (`sift_drift_batches_skipped`). That thread counts a
batch once per group of rows answered alike, with the key each answer carries, and adds
the pattern counts to the store in the first pause in traffic after PATTERNS_FLUSH_S.
What counts as live traffic is the caller's choice for uploads (`live=true`,
backend.api.metrics).
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
from backend.core.labels import PROBLEM_LABELS
from backend.feedback.patterns import PatternStore
from backend.feedback.store import FeedbackStore
from backend.logs.drift import OTHER, DriftMonitor, DriftThresholds, SourceDrift
from backend.logs.patterns import PatternCounter, group_answers
from backend.logs.rekey import rekey_store
from backend.registry.active import ModelManager, ModelNotLoadedError

logger = logging.getLogger(__name__)

MAX_SOURCE_CHARS = 64
_QUEUE_BATCHES = 64
REPORT_EVERY_S = 15.0
PAUSE_S = 0.2  # no batch for this long: a pause in traffic, when pattern counts are written


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
    """Label rates per source/label/tier; pattern counts and the drift monitor, fed in the
    background."""

    def __init__(self, registry: CollectorRegistry, manager: ModelManager,
                 settings: Settings) -> None:
        self.manager = manager
        self.model_name = settings.registry.log_model_name
        max_sources = settings.service.metrics_max_sources
        patterns, drift = settings.patterns, settings.drift
        self.names = SourceNames(max_sources)
        self.labels = Counter("sift_log_labels", "Log predictions by source, label and tier "
                              f"(sources beyond METRICS_MAX_SOURCES={max_sources}"
                              " are counted as 'other')", ["source", "label", "tier"],
                              registry=registry)
        self.skipped = Counter("sift_drift_batches_skipped", "Batches left out of the drift "
                               "window because its queue was full", registry=registry)
        self.new_patterns = Counter(
            "sift_patterns_new", "Templates first seen after their source's baseline was "
            "complete (GET /v1/logs/patterns?new=true)", ["source"], registry=registry)
        self.problem_lines = Counter(
            "sift_pattern_problem_lines", "Live lines answered with a problem label (Error, "
            "Critical Error, Security Alert, Workflow Error)", ["source", "label"],
            registry=registry)
        self.patterns: PatternCounter | None = None
        if patterns.enabled:
            self.patterns = PatternCounter(
                lambda: pattern_store(settings), max_sources=max_sources,
                max_per_source=patterns.max_per_source, bucket_s=patterns.bucket_s,
                flush_s=patterns.flush_s)
        self.drift: DriftMonitor | None = None
        # called with the drift report after a batch, at most every REPORT_EVERY_S
        self.on_report: Callable[[list[SourceDrift]], None] | None = None
        self._reported = 0.0
        self._queue: queue.Queue[Sequence[Any]] = queue.Queue(_QUEUE_BATCHES)
        if drift.enabled:
            self.drift = DriftMonitor(
                window_s=drift.window_s, max_sources=max_sources,
                thresholds=DriftThresholds(
                    new_templates=drift.max_new_template_share, psi=drift.max_label_psi,
                    mean_confidence=drift.min_mean_confidence, min_records=drift.min_records),
                baselines=self._baselines)
            registry.register(_DriftCollector(self.drift))
        self._thread: threading.Thread | None = None  # started with the first batch
        self._thread_lock = threading.Lock()

    def observe(self, predictions: Sequence[Any]) -> None:
        """Count a batch. Rows answered alike may share one Prediction object (the CSV
        path), so the work is per distinct object, weighted by how often it occurs; the
        background thread gets those (prediction, rows) pairs, not the rows."""
        rows = _distinct(predictions)
        tally: Tally[tuple[str, str, str]] = Tally()
        for p, n in rows:
            tally[(p.source, p.label, p.tier)] += n
        for (source, label, tier), n in tally.items():
            self.labels.labels(self.names(source), label, tier).inc(n)
        if (self.drift is not None or self.patterns is not None) and rows:
            self._ensure_thread()
            try:
                self._queue.put_nowait(rows)
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
        """Wait until queued batches are counted: in the drift window, and this worker's
        pattern counts in the store (tests, GET /v1/drift, GET /v1/logs/patterns)."""
        if self._thread is None:
            return  # nothing was ever queued
        done = threading.Event()
        self._queue.put(_Marker(done, write=True), timeout=timeout_s)
        done.wait(timeout_s)

    def _baselines(self) -> dict[str, Any]:
        return self.patterns.baselines() if self.patterns is not None else {}

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the drift thread once the batches queued before are observed (shutdown)."""
        thread = self._thread
        if thread is not None:
            self._queue.put(_STOP, timeout=timeout_s)
            thread.join(timeout_s)
            self._thread = None

    def _drain(self) -> None:
        while True:
            try:  # with counts waiting for the store, wake up when the traffic pauses
                batch = self._queue.get(timeout=self._wait_s())
            except queue.Empty:
                self._write_guarded(force=False)
                continue
            if batch is _STOP:
                self._write_guarded(force=True)  # what this worker counted last
                return
            if isinstance(batch, _Marker):
                self._write_guarded(force=batch.write)
                batch.event.set()
                continue
            try:
                self._process(batch)
                if self.patterns is not None and self.patterns.overdue():
                    self._write_patterns()  # traffic without a pause: write anyway
                self._report()
            except Exception:  # the monitor must never take the service down
                logger.exception("pattern counting or drift observation failed")

    def _wait_s(self) -> float | None:
        """How long the drain waits for a batch: with counts waiting for the store, until
        they are due and then PAUSE_S (a pause in traffic); else for ever."""
        if self.patterns is None or not self.patterns.pending():
            return None
        return max(PAUSE_S, self.patterns.until_due())

    def _write_guarded(self, force: bool) -> None:
        try:
            self._write_patterns(force=force)
        except Exception:
            logger.exception("pattern counts could not be written")

    def _write_patterns(self, force: bool = False) -> None:
        """Add this worker's counts to the store once PATTERNS_FLUSH_S has passed (`force`:
        now). The drain calls it when no batch came for PAUSE_S, so the write (about 3.5 ms
        of CPU for 350 patterns, docs/patterns.md) lands between requests rather than beside
        one; under traffic without pauses, once the counts are twice PATTERNS_FLUSH_S old."""
        if self.patterns is None or not (force or self.patterns.due()):
            return
        for source, n in self.patterns.flush().new_patterns.items():
            if n:
                self.new_patterns.labels(source).inc(n)

    def _report(self) -> None:
        now = time.monotonic()
        if self.on_report is None or self.drift is None or now - self._reported < REPORT_EVERY_S:
            return
        self._reported = now
        self.on_report(self.drift.report())

    def _process(self, rows: Sequence[tuple[Any, int]]) -> None:
        """Count a batch's (prediction, rows) pairs as patterns, problem lines and in the drift
        window, once per group of rows answered alike (backend.logs.patterns.group_answers):
        the work grows with the batch's templates, not its rows. The template key is the
        one the classifier put on each answer (Prediction.template)."""
        try:
            classifier = self.manager.get(self.model_name).model
        except ModelNotLoadedError:
            return
        if self.drift is not None:
            self.drift.set_version(classifier.version)
        lines = group_answers(rows, self.names, classifier.keys)
        problems: Tally[tuple[str, str]] = Tally()
        for line in lines:
            if line.label in PROBLEM_LABELS:
                problems[(line.source, line.label)] += line.weight
        for (source, label), n in problems.items():
            self.problem_lines.labels(source, label).inc(n)
        if self.patterns is not None:
            self.patterns.add([line for line in lines if line.key])
        if self.drift is not None and rows[0][0].model_version == classifier.version:
            self.drift.observe([line.source for line in lines], [line.key for line in lines],
                               [line.label for line in lines],
                               [line.confidence for line in lines],
                               classifier.threshold_for(), weights=[line.weight for line in lines])


def pattern_store(settings: Settings) -> PatternStore:
    """The pattern tables in the feedback store (DATABASE_URL), keys at KEY_VERSION."""
    stored, patterns = settings.store, settings.patterns
    store = FeedbackStore(stored.database_url, text_chars=stored.text_chars)
    rekey_store(store)
    return PatternStore(store, max_per_source=patterns.max_per_source,
                        baseline_records=patterns.baseline_records,
                        bucket_s=patterns.bucket_s, retention_s=patterns.retention_s)


_STOP: Any = object()  # the queue item that ends the drift thread


def _distinct(predictions: Sequence[Any]) -> list[tuple[Any, int]]:
    """(prediction, rows it stands for), one entry per distinct object, in first-seen order
    (the loops over the rows run in C: a 10,000-row CSV batch is a few thousand objects)."""
    counts = Tally(map(id, predictions))
    if len(counts) == len(predictions):
        return [(p, 1) for p in predictions]
    first = dict(zip(map(id, predictions), predictions, strict=True))
    return [(p, counts[key]) for key, p in first.items()]


class _Marker(list[Any]):
    """A queue item that only signals the drain has reached it (and, with `write`, that
    the pattern counts so far are in the store)."""

    def __init__(self, event: threading.Event, write: bool = False) -> None:
        super().__init__()
        self.event = event
        self.write = write



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
