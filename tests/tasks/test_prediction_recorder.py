"""Served predictions written in the background: ids at once, every row on disk after a
flush, back-pressure instead of loss, and a broken store reported, not hidden."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect

from backend.feedback.recorder import PredictionRecorder
from backend.feedback.store import FeedbackStore, PredictionRecord

MODEL = "log-classifier"


def _records(n: int, tag: str = "") -> list[PredictionRecord]:
    return [PredictionRecord({"log_message": f"line {tag}{i}"}, f"key-{tag}{i}", "Error", 0.9)
            for i in range(n)]


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore(f"sqlite:///{tmp_path / 'feedback.db'}")


def test_ids_now_rows_after_flush(store: FeedbackStore) -> None:
    recorder = PredictionRecorder(store)
    ids = recorder.submit(MODEL, "v2", _records(3))
    assert len(set(ids)) == 3
    assert recorder.flush()
    rows = [store.get_prediction(pid) for pid in ids]
    assert [r.input_key for r in rows if r] == ["key-0", "key-1", "key-2"]
    assert {r.model_version for r in rows if r} == {"v2"}
    recorder.close()


def test_concurrent_submitters_lose_nothing_even_with_a_tiny_queue(
        store: FeedbackStore) -> None:
    recorder = PredictionRecorder(store, max_pending=2)  # mostly back-pressure writes
    ids: list[str] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        for j in range(20):
            got = recorder.submit(MODEL, "v1", _records(5, f"{k}-{j}-"))
            with lock:
                ids.extend(got)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recorder.close()
    assert len(ids) == len(set(ids)) == 6 * 20 * 5
    assert all(store.get_prediction(pid) is not None for pid in ids)


def test_close_writes_what_is_queued(store: FeedbackStore) -> None:
    recorder = PredictionRecorder(store)
    ids = [pid for n in range(50) for pid in recorder.submit(MODEL, "v1", _records(2, f"{n}-"))]
    recorder.close()
    assert all(store.get_prediction(pid) is not None for pid in ids)
    assert not recorder._thread.is_alive()


def test_broken_store_is_reported_to_the_next_caller(store: FeedbackStore,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    recorder = PredictionRecorder(store)
    with store.engine.begin() as conn:  # the table disappears under the service
        conn.exec_driver_sql("DROP TABLE feedback")
        conn.exec_driver_sql("DROP TABLE predictions")
    lost = recorder.submit(MODEL, "v1", _records(1))  # queued before anyone knew
    recorder.flush()
    assert "1 predictions not recorded" in caplog.text
    assert len(lost) == 1 and "predictions" not in _tables(store)
    with pytest.raises(Exception, match="predictions"):
        recorder.submit(MODEL, "v1", _records(1))  # now written in the call: it fails loudly
    recorder.close()


def _tables(store: FeedbackStore) -> list[str]:
    return inspect(store.engine).get_table_names()
