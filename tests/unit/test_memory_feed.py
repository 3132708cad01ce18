"""The feedback memory a worker reads (backend.logs.memory.MemoryFeed), on a real SQLite
store: an empty memory costs a request nothing, between re-reads as well as on them."""

from __future__ import annotations

from pathlib import Path

from backend.feedback.memory import MemoryStore
from backend.feedback.store import FeedbackStore
from backend.logs.memory import MemoryFeed

MODEL = "log-classifier"


def _feed(tmp_path: Path, refresh_s: float = 60.0) -> tuple[MemoryFeed, MemoryStore]:
    store = MemoryStore(FeedbackStore(f"sqlite:///{tmp_path / 'feedback.db'}"))
    return MemoryFeed(store, MODEL, refresh_s=refresh_s), store


def test_an_empty_memory_is_none_between_re_reads(tmp_path: Path) -> None:
    # the first call reads the store; the second falls inside refresh_s and used to get the
    # empty snapshot object, which classify took for a memory (the second request of a
    # burst then paid for the convention adapter's example features)
    feed, _ = _feed(tmp_path)
    assert feed.snapshot() is None
    assert feed.snapshot() is None


def test_a_remembered_correction_is_seen_after_invalidate(tmp_path: Path) -> None:
    feed, store = _feed(tmp_path)
    assert feed.snapshot() is None
    store.remember(MODEL, "*", "disk <var> is full", "Error", example="disk sda1 is full",
                   author="admin")
    assert feed.snapshot() is None  # inside refresh_s: the worker has not re-read yet
    feed.invalidate()
    snapshot = feed.snapshot()
    assert snapshot is not None and len(snapshot) == 1
    assert feed.snapshot() is snapshot  # and kept between re-reads
