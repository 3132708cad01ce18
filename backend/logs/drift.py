"""Drift of each source's live log stream against its own baseline.

A source's baseline is its own first lines (BASELINE_RECORDS of them) or what a user
pinned through the API (backend.feedback.patterns), never the model's training data:
real sources look nothing like the generated training mix, so comparing with it would
raise an alarm on every one of them. Per source, over a sliding time window: the share
of lines whose template is not in the source's baseline, the confidence (mean and share
below the threshold), and the label mix compared with the baseline's by the population
stability index (PSI = sum (p - q) ln(p / q); by the usual rule of thumb < 0.1 is
stable, 0.1-0.25 a moderate shift and > 0.25 a large one). A source whose baseline is
still being learnt is reported, never drifting. The window is kept in one-minute
buckets, so memory is bounded by sources x buckets x labels whatever the traffic.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from backend.core.labels import UNCLASSIFIED
from backend.feedback.patterns import Baseline

OTHER = "other"
_EPS = 1e-4  # smoothing: a label absent on one side must not make PSI infinite


def psi(live: Mapping[str, float], reference: Mapping[str, float]) -> float:
    """Population stability index of two label distributions (counts or shares)."""
    labels = set(live) | set(reference)
    live_total = sum(live.values()) or 1.0
    ref_total = sum(reference.values()) or 1.0
    value = 0.0
    for label in labels:
        p = max(live.get(label, 0.0) / live_total, _EPS)
        q = max(reference.get(label, 0.0) / ref_total, _EPS)
        value += (p - q) * math.log(p / q)
    return value


@dataclass(frozen=True)
class DriftThresholds:
    """When a source counts as drifting (any one is enough), once it has `min_records`."""

    new_templates: float = 0.6
    psi: float = 0.25
    mean_confidence: float = 0.6
    min_records: int = 50


@dataclass
class _Bucket:
    start: float
    total: int = 0
    tracked: int = 0  # lines seen once the source's baseline was complete
    new: int = 0
    confidence_sum: float = 0.0
    low_confidence: int = 0
    labels: Counter[str] = field(default_factory=Counter)


class DriftMonitor:
    """Thread-safe sliding-window statistics per source (sources beyond `max_sources`
    fold into `other`, as in the label-rate counters), judged against `baselines()`."""

    def __init__(self, window_s: float = 3600.0, bucket_s: float = 60.0, max_sources: int = 50,
                 thresholds: DriftThresholds | None = None,
                 clock: Callable[[], float] = time.time,
                 baselines: Callable[[], Mapping[str, Baseline]] = dict) -> None:
        self.window_s = window_s
        self.bucket_s = min(bucket_s, window_s)
        self.max_sources = max_sources
        self.thresholds = thresholds or DriftThresholds()
        self.clock = clock
        self.baselines = baselines
        self.version: str | None = None
        self._buckets: dict[str, deque[_Bucket]] = {}
        self._lock = threading.Lock()

    def set_version(self, version: str) -> None:
        """A new served version starts a new window (the baselines stay)."""
        with self._lock:
            if self.version != version:
                self.version = version
                self._buckets.clear()

    def source_name(self, source: str) -> str:
        if source in self._buckets or len(self._buckets) < self.max_sources:
            return source
        return OTHER

    def observe(self, sources: Sequence[str], keys: Sequence[str], labels: Sequence[str],
                confidences: Sequence[float], threshold: float,
                weights: Sequence[int] | None = None) -> None:
        """Add a batch: one entry per row, or per group of `weights[i]` identical rows
        (rows that never got a key pass "")."""
        baselines = self.baselines()
        now = self.clock()
        counts = weights if weights is not None else [1] * len(sources)
        with self._lock:
            for source, key, label, conf, n in zip(sources, keys, labels, confidences, counts,
                                                   strict=True):
                name = self.source_name(source)
                bucket = self._bucket(name, now)
                bucket.total += n
                base = baselines.get(name)
                if base is not None and base.complete:
                    bucket.tracked += n
                    bucket.new += n if key and key not in base.keys else 0
                bucket.confidence_sum += conf * n
                bucket.low_confidence += n if conf < threshold else 0
                bucket.labels[label] += n

    def _bucket(self, source: str, now: float) -> _Bucket:
        buckets = self._buckets.setdefault(source, deque())
        start = now - now % self.bucket_s
        if not buckets or buckets[-1].start != start:
            buckets.append(_Bucket(start))
        while buckets and buckets[0].start <= now - self.window_s:
            buckets.popleft()
        return buckets[-1]

    def report(self) -> list[SourceDrift]:
        """Per source with records in the window, most records first."""
        now = self.clock()
        baselines = self.baselines()
        with self._lock:
            rows = [self._summarise(source, [b for b in buckets
                                             if b.start > now - self.window_s],
                                    baselines.get(source))
                    for source, buckets in self._buckets.items()]
        return sorted((r for r in rows if r.records), key=lambda r: -r.records)

    def _summarise(self, source: str, buckets: Iterable[_Bucket],
                   base: Baseline | None) -> SourceDrift:
        total = tracked = new = low = 0
        conf = 0.0
        labels: Counter[str] = Counter()
        for b in buckets:
            total += b.total
            tracked += b.tracked
            new += b.new
            low += b.low_confidence
            conf += b.confidence_sum
            labels.update(b.labels)
        complete = base is not None and base.complete
        answered = Counter({k: v for k, v in labels.items() if k != UNCLASSIFIED})
        mix = Counter({k: v for k, v in (base.labels if base else {}).items()
                       if k != UNCLASSIFIED})
        shift = psi(answered, mix) if complete and answered and mix else 0.0
        row = SourceDrift(
            source=source, records=total,
            new_template_share=round(new / tracked, 4) if tracked else 0.0,
            mean_confidence=round(conf / total, 4) if total else 0.0,
            low_confidence_share=round(low / total, 4) if total else 0.0,
            label_psi=round(shift, 4), labels=dict(labels.most_common()),
            baseline=base.state if base is not None else "learning",
            baseline_records=base.records if base is not None else 0,
            baseline_target=base.target if base is not None else 0)
        row.reasons = self._reasons(row) if complete else []
        row.drifting = bool(row.reasons)
        row.summary = row.sentence(self.window_s)
        return row

    def _reasons(self, row: SourceDrift) -> list[str]:
        t = self.thresholds
        if row.records < t.min_records:
            return []
        reasons = []
        if row.new_template_share > t.new_templates:
            reasons.append("new templates")
        if row.label_psi > t.psi:
            reasons.append("label mix")
        if row.mean_confidence < t.mean_confidence:
            reasons.append("low confidence")
        return reasons


@dataclass
class SourceDrift:
    """One source's window: what `GET /v1/drift` and the gauges show."""

    source: str
    records: int
    new_template_share: float
    mean_confidence: float
    low_confidence_share: float
    label_psi: float
    labels: dict[str, int]
    baseline: str = "learning"  # learning | complete | pinned (backend.feedback.patterns)
    baseline_records: int = 0
    baseline_target: int = 0
    drifting: bool = False
    reasons: list[str] = field(default_factory=list)
    summary: str = ""

    def sentence(self, window_s: float) -> str:
        """"BillingSystem: 38% new templates in the last hour, mean confidence 0.61, label
        mix shifted (PSI 0.31)" against its baseline, or how far its baseline is learnt."""
        if self.baseline == "learning":
            return (f"{self.source}: learning its baseline ({self.baseline_records:,} of "
                    f"{self.baseline_target:,} lines), mean confidence "
                    f"{self.mean_confidence:.2f}")
        state = "shifted" if "label mix" in self.reasons else "stable"
        return (f"{self.source}: {self.new_template_share:.0%} new templates in the last "
                f"{_span(window_s)}, mean confidence {self.mean_confidence:.2f}, "
                f"label mix {state} (PSI {self.label_psi:.2f})")


def _span(seconds: float) -> str:
    if seconds == 3600:
        return "hour"
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)} hours"
    if seconds % 60 == 0:
        return f"{int(seconds // 60)} minutes"
    return f"{seconds:g} s"
