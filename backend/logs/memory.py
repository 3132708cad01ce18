"""Feedback memory for serving: a correction labels its whole template key at once.

`MemoryFeed` keeps one snapshot of the store's memory per worker and checks the
store's fingerprint at most every `refresh_s` seconds. `MemorySnapshot` answers
(source, key) lookups for one caller (`view(caller)`: a correction answers its author's
own requests, and everyone's only where `Grants` shares it) and holds the neighbour
index: keys very close in the embedding space to corrected ones follow them only where
the model is below its served threshold, with the similarity (and how unsure) chosen on
the corrections themselves (leave one out), never guessed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from backend.feedback.memory import GLOBAL_SCOPE, Grants, MemoryEntry, MemoryStore

NEIGHBOUR_MIN_ENTRIES = 8  # fewer corrections cannot choose a threshold
NEIGHBOUR_MAX_ENTRIES = 5000  # the leave-one-out matrix is n x n
SIMILARITY_GRID = tuple(round(0.50 + 0.02 * i, 2) for i in range(25))  # 0.50 .. 0.98
# follow when model confidence < this, capped at the served threshold: a confident model
# answer is never overridden by a neighbour
UNSURE_GRID = (0.0, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)

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
    grants: Grants = field(default_factory=Grants)
    cache: dict[tuple[str | None, str, str], tuple[MemoryEntry, float] | None] = field(
        default_factory=dict)

    def allowed(self, source: str, caller: str | None) -> np.ndarray:
        """Which entries may answer `caller`'s line from `source` (see Grants.applies)."""
        return np.fromiter((self.grants.applies(e, source, caller) for e in self.entries),
                           dtype=bool, count=len(self.entries))

    def nearest(self, scope_keys: Sequence[tuple[str, str]], embed: EmbedFn,
                caller: str | None = None) -> list[tuple[MemoryEntry, float] | None]:
        """The nearest correction that answers `caller` per (source, key)."""
        todo = [sk for sk in dict.fromkeys(scope_keys) if (caller, *sk) not in self.cache]
        if todo:
            sims = embed([k for _, k in todo]) @ self.vectors.T
            masks: dict[str, np.ndarray] = {}
            for row, (source, key) in zip(sims, todo, strict=True):
                allowed = masks.get(source)
                if allowed is None:
                    allowed = masks[source] = self.allowed(source, caller)
                if not allowed.any():
                    self.cache[(caller, source, key)] = None
                    continue
                masked = np.where(allowed, row, -np.inf)
                best = int(masked.argmax())
                self.cache[(caller, source, key)] = (self.entries[best], float(masked[best]))
        return [self.cache[(caller, *sk)] for sk in scope_keys]


@dataclass(frozen=True)
class CallerNeighbours:
    """The neighbour index as one caller sees it (what the classifier asks)."""

    index: NeighbourIndex
    caller: str | None

    @property
    def rule(self) -> NeighbourRule | None:
        return self.index.rule

    def nearest(self, scope_keys: Sequence[tuple[str, str]], embed: EmbedFn
                ) -> list[tuple[MemoryEntry, float] | None]:
        return self.index.nearest(scope_keys, embed, self.caller)


def _loo_allowed(entries: list[MemoryEntry], grants: Grants) -> np.ndarray:
    """allowed[i, j]: correction j may answer correction i's line in leave-one-out (the
    line of i's source, asked by i's author), never i's own key."""
    sources = {s: i for i, s in enumerate(dict.fromkeys(e.scope for e in entries))}
    authors = {a: i for i, a in enumerate(dict.fromkeys(e.author for e in entries))}
    s_code = np.array([sources[e.scope] for e in entries])
    a_code = np.array([authors[e.author] for e in entries])
    shares = np.array([[grants.shares(a, s) for s in sources] for a in authors], dtype=bool)
    scopes = np.array([e.scope for e in entries], dtype=object)
    keys = np.array([e.key for e in entries], dtype=object)
    in_scope = ((scopes[:, None] == scopes[None, :]) | (scopes[None, :] == GLOBAL_SCOPE)
                | (scopes[:, None] == GLOBAL_SCOPE))
    known = np.array([e.author is not None for e in entries])
    same_author = (a_code[:, None] == a_code[None, :]) & known[None, :]
    shared = shares[a_code[None, :], s_code[:, None]]
    allowed: np.ndarray = in_scope & (same_author | shared) & (keys[:, None] != keys[None, :])
    return allowed


def choose_rule(entries: list[MemoryEntry], vectors: np.ndarray,
                model: dict[str, tuple[str, float]], threshold: float,
                grants: Grants | None = None) -> NeighbourRule | None:
    """Leave one out over the corrections: each is answered by the model or by its nearest
    other correction that may answer it; keep the (similarity, unsure) pair that answers
    most of them right, if it beats the model alone. Ties go to the stricter pair.
    `unsure` never exceeds `threshold`: neighbours follow only where the model is below
    its served threshold (issue 24)."""
    n = len(entries)
    if n < NEIGHBOUR_MIN_ENTRIES:
        return None
    sims = np.where(_loo_allowed(entries, grants or Grants()), vectors @ vectors.T, -np.inf)
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
        for unsure in sorted({min(u, threshold) for u in UNSURE_GRID}):
            follow = (best_sim >= sim_min) & (conf < unsure)
            acc = float(np.where(follow, nb_right, model_right).mean())
            if acc > best_acc + 1e-9:
                best_acc = acc
                chosen = NeighbourRule(sim_min, unsure, n, round(acc, 4), round(without, 4))
    return chosen


class MemorySnapshot:
    """An immutable view of the active memory entries of one model."""

    def __init__(self, entries: Sequence[MemoryEntry], fingerprint: tuple[int, int],
                 neighbours: bool = True, grants: Grants | None = None) -> None:
        self.fingerprint = fingerprint
        self.use_neighbours = neighbours
        self.grants = grants or Grants()
        self.entries = list(entries)
        latest: dict[tuple[str, str, str | None], MemoryEntry] = {}
        for entry in self.entries:  # oldest first: the latest correction of a key wins
            latest.pop((entry.scope, entry.key, entry.author), None)
            latest[(entry.scope, entry.key, entry.author)] = entry
        self.by_key: dict[str, list[MemoryEntry]] = {}  # newest first
        for entry in reversed(latest.values()):
            self.by_key.setdefault(entry.key, []).append(entry)
        self._latest = list(latest.values())
        self._neighbours: dict[str, NeighbourIndex] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._latest)

    def view(self, caller: str | None) -> MemoryView:
        """The memory as `caller` (an auth caller name, None: anonymous) sees it."""
        return MemoryView(self, caller)

    def lookup(self, sources: Sequence[str], keys: Sequence[str],
               caller: str | None = None) -> list[MemoryEntry | None]:
        """The remembered correction per row that answers `caller`: the newest of its
        source's own, else the newest global one."""
        get, applies = self.by_key.get, self.grants.applies
        out: list[MemoryEntry | None] = []
        for source, key in zip(sources, keys, strict=True):
            found = None
            for entry in get(key, ()):
                if applies(entry, source, caller):
                    if entry.scope == source:
                        found = entry
                        break
                    found = found or entry
            out.append(found)
        return out

    def neighbours(self, version: str, embed: EmbedFn, head: HeadFn,
                   threshold: float) -> NeighbourIndex | None:
        """The neighbour index for one model version (built once per snapshot)."""
        if not self.use_neighbours:
            return None
        with self._lock:
            index = self._neighbours.get(version)
            if index is None:
                entries = self._latest[-NEIGHBOUR_MAX_ENTRIES:]
                if not entries:
                    return None
                vectors = np.asarray(embed([e.key for e in entries]), dtype=np.float32)
                rule = choose_rule(entries, vectors, head([e.key for e in entries]), threshold,
                                   self.grants)
                index = self._neighbours[version] = NeighbourIndex(vectors, entries, rule,
                                                                   self.grants)
            return index if index.rule is not None else None


@dataclass(frozen=True)
class MemoryView:
    """One caller's view of a snapshot: what `LogClassifier.classify` consults."""

    snapshot: MemorySnapshot
    caller: str | None

    def lookup(self, sources: Sequence[str], keys: Sequence[str]) -> list[MemoryEntry | None]:
        return self.snapshot.lookup(sources, keys, self.caller)

    def neighbours(self, version: str, embed: EmbedFn, head: HeadFn,
                   threshold: float) -> CallerNeighbours | None:
        index = self.snapshot.neighbours(version, embed, head, threshold)
        return CallerNeighbours(index, self.caller) if index is not None else None


class MemoryFeed:
    """One worker's view of the store's memory: re-read when its fingerprint changes."""

    def __init__(self, store: MemoryStore, model: str, refresh_s: float = 2.0,
                 neighbours: bool = True, grants: Grants | None = None) -> None:
        self.store = store
        self.neighbours = neighbours
        self.grants = grants or Grants()
        self.model = model
        self.refresh_s = refresh_s
        self._snapshot: MemorySnapshot | None = None
        self._checked = -float("inf")
        self._lock = threading.Lock()

    def snapshot(self) -> MemorySnapshot | None:
        """The current memory, or None when it is empty (then it costs nothing)."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked >= self.refresh_s:
                self._refresh(now)
            # an empty memory is None on every path: a request between two re-reads got the
            # empty snapshot, which looked like a memory to classify (the convention adapter
            # then built its example features, ~0.6 s, in the second request of a burst)
            return self._snapshot if self._snapshot is not None and len(self._snapshot) \
                else None

    def _refresh(self, now: float) -> None:
        """Re-read the entries when the store's fingerprint changed (caller holds the lock)."""
        fingerprint = self.store.fingerprint(self.model)
        if self._snapshot is None or fingerprint != self._snapshot.fingerprint:
            entries = self.store.entries(self.model) if fingerprint[0] else []
            self._snapshot = MemorySnapshot(entries, fingerprint, self.neighbours, self.grants)
        self._checked = now

    def invalidate(self) -> None:
        """Re-read on the next request (this worker just changed the memory)."""
        with self._lock:
            self._checked = -float("inf")
