"""Pattern counting on the live stream: lines per (source, template key), in bounded memory.

Each worker tallies what it classified (off the request path, on the stream observer's
thread) and adds the tallies to the feedback store every PATTERNS_FLUSH_S, where every
worker's counts meet (backend.feedback.patterns). Memory is bounded whatever the
traffic: at most `max_sources` sources (later ones are counted as `other`, as the
label-rate counters do) and `max_per_source` keys per source between two writes (the
rest go to the source's OTHER_KEY tally). The store keeps each source's top patterns the
same way, with a retention.

The source baselines (its first lines, or what a user pinned) are read back from the
store every few seconds: drift compares a source with its own baseline, and a pattern
is *new* when it is not in its source's complete baseline.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from backend.core.labels import PROBLEM_LABELS
from backend.core.normalize import masked_example
from backend.feedback.patterns import OTHER_KEY, AddResult, Baseline, PatternStore, Tally
from backend.logs.pattern_view import EXAMPLE_CHARS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Line:
    """One counted line (or `weight` identical ones) and its answer."""

    source: str
    key: str
    message: str
    label: str
    confidence: float
    tier: str
    weight: int = 1


def group_answers(rows: Sequence[tuple[Any, int]], name: Callable[[str], str],
                  keys: Callable[[Sequence[str]], list[str]]) -> list[Line]:
    """One Line per distinct (source, key, label, tier, confidence) of `rows` (an answer,
    a Prediction, and the number of rows it stands for), weights summed, in the order of
    each group's last row: the tallies end as if every row had been added one by one (the
    example is the group's first message). `name` maps a source to its counted name (once
    per source, in first-seen order); the key is the one the classifier put on the answer
    (`template`), computed with `keys` only for an answer to a non-blank line without one;
    a blank line has key "". A 10,000-line Loghub batch is about 2,800 distinct answers
    and 350 Lines."""
    missing = [p.log_message for p, _ in rows if not p.template and p.log_message.strip()]
    computed = iter(keys(missing) if missing else ())
    named: dict[str, str] = {}
    groups: dict[tuple[str, str, str, str, float], list[Any]] = {}
    for i, (p, n) in enumerate(rows):
        source = named.get(p.source)
        if source is None:
            source = named[p.source] = name(p.source)
        key = p.template or (next(computed) if p.log_message.strip() else "")
        group = (source, key, p.label, p.tier, float(p.confidence))
        entry = groups.get(group)
        if entry is None:
            groups[group] = [n, i, p.log_message]
        else:
            entry[0] += n
            entry[1] = i
    ordered = sorted(groups.items(), key=lambda item: item[1][1])
    return [Line(source, key, message, label, confidence, tier, weight)
            for (source, key, label, tier, confidence), (weight, _, message) in ordered]


class PatternCounter:
    """Bounded per-worker tallies, written to the shared store in batches."""

    def __init__(self, store: Callable[[], PatternStore], max_sources: int,
                 max_per_source: int, bucket_s: int, flush_s: float,
                 baseline_refresh_s: float = 5.0, expire_every_s: float = 300.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._store_factory = store
        self._store: PatternStore | None = None
        self.max_sources = max_sources
        self.max_per_source = max_per_source
        self.bucket_s = bucket_s
        self.flush_s = flush_s
        self.baseline_refresh_s = baseline_refresh_s
        self.expire_every_s = expire_every_s
        self.clock = clock
        self._pending: dict[str, dict[str, Tally]] = {}
        self._written: set[tuple[str, str]] = set()  # (source, key) already in the store
        self._lock = threading.Lock()
        self._flushed = clock()
        self._expired = 0.0
        self._baselines: dict[str, Baseline] = {}
        self._baselines_at = float("-inf")

    @property
    def store(self) -> PatternStore:
        if self._store is None:
            self._store = self._store_factory()
        return self._store

    def size(self) -> int:
        """Tallies held in memory (bounded by max_sources x (max_per_source + 1))."""
        with self._lock:
            return sum(len(keys) for keys in self._pending.values())

    def add(self, lines: Sequence[Line]) -> None:
        """Tally a batch's grouped lines (group_answers), in order: the last line of a key
        decides its label, confidence and tier."""
        now = self.clock()
        start = int(now - now % self.bucket_s)
        with self._lock:
            pending = self._pending
            for line in lines:
                keys = pending.get(line.source)
                tally = keys.get(line.key) if keys is not None else None
                if tally is None:  # a new pattern, or one folded into other / OTHER_KEY
                    tally = self._tally(line, now)
                n, label = line.weight, line.label
                tally.count += n
                tally.last_seen = now
                buckets, labels = tally.buckets, tally.labels
                buckets[start] = buckets.get(start, 0) + n
                labels[label] = labels.get(label, 0) + n
                tally.label, tally.confidence, tally.tier = label, line.confidence, line.tier
                tally.problem = label in PROBLEM_LABELS

    def _tally(self, line: Line, now: float) -> Tally:
        source = line.source
        if source not in self._pending and len(self._pending) >= self.max_sources:
            source = "other"
        keys = self._pending.setdefault(source, {})
        key = line.key
        if key not in keys and len(keys) >= self.max_per_source:
            key = OTHER_KEY
        tally = keys.get(key)
        if tally is None:
            # the store keeps the first example: mask a line only for a pattern not yet written
            written = (source, key) in self._written
            example = ("" if key == OTHER_KEY or written
                       else masked_example(line.message)[:EXAMPLE_CHARS])
            tally = keys[key] = Tally(first_seen=now, last_seen=now, example=example)
        return tally

    def due(self) -> bool:
        return self.clock() - self._flushed >= self.flush_s

    def overdue(self) -> bool:
        """Due twice over (with flush_s 0: after every batch)."""
        return self.clock() - self._flushed >= 2 * self.flush_s

    def until_due(self) -> float:
        """Seconds until the next write is due (0 when it is)."""
        return max(0.0, self.flush_s - (self.clock() - self._flushed))

    def pending(self) -> bool:
        """Whether counts wait to be written."""
        return bool(self._pending)

    def flush(self) -> AddResult:
        """Add the pending tallies to the store (and drop expired patterns now and then)."""
        with self._lock:
            pending, self._pending = self._pending, {}
            self._flushed = self.clock()
            if len(self._written) > self.max_sources * (self.max_per_source + 1):
                self._written.clear()  # bounded like the tallies; examples are masked again
            self._written.update((s, k) for s, keys in pending.items() for k in keys)
        result = self.store.add(pending, now=self.clock()) if pending else AddResult()
        if result.baselines_changed:
            self._baselines_at = float("-inf")  # read them again: one learnt or completed
        if self.clock() - self._expired >= self.expire_every_s:
            self._expired = self.clock()
            self.store.expire(self.clock())
        return result

    def baselines(self) -> dict[str, Baseline]:
        """Every source's baseline as the store has it (re-read every few seconds)."""
        now = self.clock()
        if now - self._baselines_at >= self.baseline_refresh_s:
            self._baselines = self.store.baselines()
            self._baselines_at = now
        return self._baselines

    def forget_baselines(self) -> None:
        """Read the baselines again on next use (one was pinned or reset)."""
        self._baselines_at = float("-inf")
