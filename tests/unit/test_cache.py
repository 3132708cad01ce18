"""The bounded LRU used for embeddings, template keys and LLM answers."""

from __future__ import annotations

import threading

from backend.core.cache import LRUCache


def test_least_recently_used_entry_goes_first() -> None:
    cache: LRUCache[int] = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == (1, 3)
    assert len(cache) == 2


def test_put_existing_key_refreshes_value_and_recency() -> None:
    cache: LRUCache[str] = LRUCache(2)
    cache.put("a", "old")
    cache.put("b", "x")
    cache.put("a", "new")
    cache.put("c", "y")
    assert cache.get("a") == "new"
    assert cache.get("b") is None


def test_hits_and_misses_are_counted_and_cleared() -> None:
    cache: LRUCache[int] = LRUCache(4)
    cache.put(("k", 1), 7)
    cache.get(("k", 1))
    cache.get(("k", 2))
    assert (cache.hits, cache.misses) == (1, 1)
    cache.clear()
    assert (len(cache), cache.hits, cache.misses) == (0, 0, 0)


def test_maxsize_zero_disables_caching() -> None:
    cache: LRUCache[int] = LRUCache(0)
    cache.put("a", 1)
    assert cache.get("a") is None and len(cache) == 0


def test_concurrent_puts_never_exceed_maxsize() -> None:
    cache: LRUCache[int] = LRUCache(50)

    def worker(offset: int) -> None:
        for i in range(2000):
            cache.put(offset * 10_000 + i, i)
            cache.get(offset * 10_000 + i // 2)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 50


def test_get_many_counts_and_refreshes_like_get() -> None:
    cache: LRUCache[int] = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get_many(["a", "x", "a"]) == [1, None, 1]
    assert (cache.hits, cache.misses) == (2, 1)
    cache.put("c", 3)  # "a" was used last, so "b" goes
    assert cache.get_many(["b", "a", "c"]) == [None, 1, 3]
