"""A small thread-safe LRU used for embeddings, template keys and LLM answers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import Generic, TypeVar

V = TypeVar("V")


class LRUCache(Generic[V]):
    """Bounded mapping; the least recently used entry goes first. `maxsize=0` disables it."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return value

    def get_many(self, keys: Sequence[Hashable]) -> list[V | None]:
        """`get` for a batch under one lock acquisition (the per-line hot path)."""
        out: list[V | None] = []
        append = out.append
        found = 0  # counted here: `out.count(None)` compares values, arrays among them
        with self._lock:
            get, refresh = self._data.get, self._data.move_to_end
            for key in keys:
                value = get(key)
                if value is not None:
                    refresh(key)
                    found += 1
                append(value)
            self.hits += found
            self.misses += len(out) - found
        return out

    def put(self, key: Hashable, value: V) -> None:
        if self.maxsize <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)
