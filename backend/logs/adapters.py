"""One convention adapter per scope: the corrections that answer one caller on one source.

A scope is exactly what the feedback memory lets answer a request (issue 24's writer
model, `Grants.applies`): the caller's own corrections, the admin's, and those of writers
WRITER_SOURCES shares on that source. So a team's adapter answers the team itself and,
on the sources it is granted, everyone; nobody else's answers move. Adapters are keyed
by the ids of their corrections, so a new, undone or approved correction makes a new
adapter at the next request (fitted in well under a second), and unchanged scopes are
reused across memory snapshots. The shared model changes only through a retrain, which
only the admin can start.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from backend.feedback.memory import MemoryEntry
from backend.logs.adapter import ConventionAdapter, Evidence, ExampleFeatures
from backend.logs.memory import MemoryView
from backend.logs.model import LogModel

ADAPTERS_KEPT = 64  # scopes (sets of corrections) kept fitted per model version
EmbedFn = Callable[[Sequence[str]], np.ndarray]


def scope_corrections(view: MemoryView, source: str) -> list[MemoryEntry]:
    """The corrections that answer `view`'s caller on `source`, newest per key."""
    snapshot = view.snapshot
    latest: dict[str, MemoryEntry] = {}
    for entry in snapshot.entries:  # oldest first: the newest correction of a key wins
        if snapshot.grants.applies(entry, source, view.caller):
            latest.pop(entry.key, None)
            latest[entry.key] = entry
    return list(latest.values())


class ScopeAdapters:
    """The fitted adapters of one served model, by the ids of their corrections."""

    def __init__(self, model: LogModel, kept: int = ADAPTERS_KEPT) -> None:
        self.model = model
        self.kept = kept
        self._examples: ExampleFeatures | None = None
        self._fitted: OrderedDict[tuple[int, ...], ConventionAdapter | None] = OrderedDict()
        self._lock = threading.Lock()

    def for_entries(
        self, entries: Sequence[MemoryEntry], embed: EmbedFn
    ) -> ConventionAdapter | None:
        """The adapter of these corrections (fitted now when new)."""
        ident = tuple(sorted(e.id for e in entries))
        with self._lock:
            if ident in self._fitted:
                self._fitted.move_to_end(ident)
                return self._fitted[ident]
            adapter = None
            if entries:  # the example features (~0.6 s) only for a scope with corrections
                if self._examples is None:
                    self._examples = ExampleFeatures.of(self.model)
                keys = [e.key for e in entries]
                adapter = ConventionAdapter.fit(
                    self.model,
                    self._examples,
                    keys,
                    [e.label for e in entries],
                    embed(keys),
                    [e.id for e in entries],
                )
            self._fitted[ident] = adapter
            while len(self._fitted) > self.kept:
                self._fitted.popitem(last=False)
            return adapter

    def answer(
        self,
        view: MemoryView,
        sources: Sequence[str],
        keys: Sequence[str],
        confidences: Sequence[float],
        threshold: float,
        embed: EmbedFn,
    ) -> list[tuple[Evidence, list[int]] | None]:
        """Per model row: (evidence, agreeing correction ids) where the scope's adapter
        answers on evidence, else None (the model, or the neighbour rule, answers)."""
        out: list[tuple[Evidence, list[int]] | None] = [None] * len(keys)
        rows_by_source: dict[str, list[int]] = {}
        for i, source in enumerate(sources):
            rows_by_source.setdefault(source, []).append(i)
        for source, rows in rows_by_source.items():
            adapter = self.for_entries(scope_corrections(view, source), embed)
            if adapter is None:
                continue
            unique = list(dict.fromkeys(keys[i] for i in rows))
            vectors = embed(unique)
            conf: dict[str, float] = {}
            for i in rows:
                conf.setdefault(keys[i], confidences[i])
            found = adapter.evidence(unique, vectors, [conf[k] for k in unique], threshold)
            by_key = {
                k: (ev, adapter.near_ids(vectors[j], ev.label))
                for j, (k, ev) in enumerate(zip(unique, found, strict=True))
                if ev is not None
            }
            for i in rows:
                out[i] = by_key.get(keys[i])
        return out
