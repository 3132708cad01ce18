"""Feedback memory for serving: a correction labels its whole template key at once.

`MemoryFeed` keeps one snapshot of the store's memory per worker and checks the
store's fingerprint at most every `refresh_s` seconds. `MemorySnapshot` answers
(source, key) lookups (one dict probe per row) and holds the neighbour index:
keys very close in the embedding space to corrected ones follow them when the
model is unsure or disagrees weakly, with the similarity threshold chosen on the
corrections themselves (leave one out), never guessed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from backend.feedback.memory import GLOBAL_SCOPE, MemoryEntry, MemoryStore

NEIGHBOUR_MIN_ENTRIES = 8  # fewer corrections cannot choose a threshold
NEIGHBOUR_MAX_ENTRIES = 5000  # the leave-one-out matrix is n x n
SIMILARITY_GRID = tuple(round(0.50 + 0.02 * i, 2) for i in range(25))  # 0.50 .. 0.98
UNSURE_GRID = (0.0, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)  # follow when model confidence < this

HeadFn = Callable[[Sequence[str]], dict[str, tuple[str, float]]]
EmbedFn = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class NeighbourRule:
    """Follow the nearest correction when similarity >= `similarity` and the model's
    confidence < `unsure_below` (chosen on held-out corrections)."""

    similarity: float
    unsure_below: float
    heldout: int
    accuracy_with: float
    accuracy_without: float


@dataclass
class NeighbourIndex:
    vectors: np.ndarray  # (n, d), unit norm
    entries: list[MemoryEntry]
    rule: NeighbourRule | None
    cache: dict[tuple[str, str], tuple[MemoryEntry, float] | None] = field(default_factory=dict)

    def nearest(self, scope_keys: Sequence[tuple[str, str]], embed: EmbedFn
                ) -> list[tuple[MemoryEntry, float] | None]:
        """The nearest correction in scope (source's own or global) per (source, key)."""
        todo = [sk for sk in dict.fromkeys(scope_keys) if sk not in self.cache]
        if todo:
            sims = embed([k for _, k in todo]) @ self.vectors.T
            scopes = np.array([e.scope for e in self.entries], dtype=object)
            for row, (source, key) in zip(sims, todo, strict=True):
                allowed = (scopes == source) | (scopes == GLOBAL_SCOPE)
                if not allowed.any():
                    self.cache[(source, key)] = None
                    continue
                masked = np.where(allowed, row, -np.inf)
                best = int(masked.argmax())
                self.cache[(source, key)] = (self.entries[best], float(masked[best]))
        return [self.cache[sk] for sk in scope_keys]


def choose_rule(entries: list[MemoryEntry], vectors: np.ndarray,
                model: dict[str, tuple[str, float]], threshold: float) -> NeighbourRule | None:
    """Leave one out over the corrections: each is answered by the model or by its nearest
    other correction in scope; keep the (similarity, unsure) pair that answers most of
    them right, if it beats the model alone. Ties go to the stricter pair."""
    n = len(entries)
    if n < NEIGHBOUR_MIN_ENTRIES:
        return None
    sims = vectors @ vectors.T
    scopes = np.array([e.scope for e in entries], dtype=object)
    keys = np.array([e.key for e in entries], dtype=object)
    same_scope = ((scopes[:, None] == scopes[None, :]) | (scopes[None, :] == GLOBAL_SCOPE)
                  | (scopes[:, None] == GLOBAL_SCOPE))
    allowed = same_scope & (keys[:, None] != keys[None, :])
    sims = np.where(allowed, sims, -np.inf)
    best = sims.argmax(axis=1)
    best_sim = sims[np.arange(n), best]
    truth = np.array([e.label for e in entries], dtype=object)
    nb_right = np.array([entries[j].label for j in best], dtype=object) == truth
    answers = [model.get(e.key, ("", 0.0)) for e in entries]
    conf = np.array([c for _, c in answers])
    model_right = (np.array([lbl for lbl, _ in answers], dtype=object) == truth) & (
        conf >= threshold)
    without = float(model_right.mean())
    chosen: NeighbourRule | None = None
    best_acc = without
    for sim_min in sorted(SIMILARITY_GRID, reverse=True):
        for unsure in UNSURE_GRID:
            follow = (best_sim >= sim_min) & (conf < max(unsure, threshold))
            acc = float(np.where(follow, nb_right, model_right).mean())
            if acc > best_acc + 1e-9:
                best_acc = acc
                chosen = NeighbourRule(sim_min, max(unsure, threshold), n, round(acc, 4),
                                       round(without, 4))
    return chosen


class MemorySnapshot:
    """An immutable view of the active memory entries of one model."""

    def __init__(self, entries: Sequence[MemoryEntry], fingerprint: tuple[int, int],
                 neighbours: bool = True) -> None:
        self.fingerprint = fingerprint
        self.use_neighbours = neighbours
        self.entries = list(entries)
        self.by_key: dict[tuple[str, str], MemoryEntry] = {}
        for entry in self.entries:  # oldest first: the latest correction of a key wins
            self.by_key[(entry.scope, entry.key)] = entry
        self._neighbours: dict[str, NeighbourIndex] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.by_key)

    def lookup(self, sources: Sequence[str], keys: Sequence[str]) -> list[MemoryEntry | None]:
        """The remembered correction per row: its source's own first, then a global one."""
        get = self.by_key.get
        return [get((s, k)) or get((GLOBAL_SCOPE, k)) for s, k in zip(sources, keys,
                                                                         strict=True)]

    def neighbours(self, version: str, embed: EmbedFn, head: HeadFn,
                   threshold: float) -> NeighbourIndex | None:
        """The neighbour index for one model version (built once per snapshot)."""
        if not self.use_neighbours:
            return None
        with self._lock:
            index = self._neighbours.get(version)
            if index is None:
                entries = list(self.by_key.values())[-NEIGHBOUR_MAX_ENTRIES:]
                if not entries:
                    return None
                vectors = np.asarray(embed([e.key for e in entries]), dtype=np.float32)
                rule = choose_rule(entries, vectors, head([e.key for e in entries]), threshold)
                index = self._neighbours[version] = NeighbourIndex(vectors, entries, rule)
            return index if index.rule is not None else None


class MemoryFeed:
    """One worker's view of the store's memory: re-read when its fingerprint changes."""

    def __init__(self, store: MemoryStore, model: str, refresh_s: float = 2.0,
                 neighbours: bool = True) -> None:
        self.store = store
        self.neighbours = neighbours
        self.model = model
        self.refresh_s = refresh_s
        self._snapshot: MemorySnapshot | None = None
        self._checked = -float("inf")
        self._lock = threading.Lock()

    def snapshot(self) -> MemorySnapshot | None:
        """The current memory, or None when it is empty (then it costs nothing)."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked < self.refresh_s:
                return self._snapshot
            fingerprint = self.store.fingerprint(self.model)
            if self._snapshot is None or fingerprint != self._snapshot.fingerprint:
                entries = self.store.entries(self.model) if fingerprint[0] else []
                self._snapshot = MemorySnapshot(entries, fingerprint, self.neighbours)
            self._checked = now
            return self._snapshot if len(self._snapshot) else None

    def invalidate(self) -> None:
        """Re-read on the next request (this worker just changed the memory)."""
        with self._lock:
            self._checked = -float("inf")
