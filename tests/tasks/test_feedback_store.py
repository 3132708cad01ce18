"""The feedback store on a real SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

import threading

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from backend.feedback.migrate import alembic_config
from backend.feedback.store import FeedbackStore, PredictionRecord, UnknownPredictionError

MODEL = "task-categorizer"


def _record(store: FeedbackStore, title: str, predicted: str = "Design",
            version: str = "v1", variant: str | None = None) -> str:
    (pid,) = store.record_predictions(MODEL, version, [PredictionRecord(
        {"title": title}, f"key-{title}", predicted, 0.8)], variant)
    return pid


def test_migrations_create_schema_and_are_idempotent(store_url: str):
    FeedbackStore(store_url).close()
    store = FeedbackStore(store_url)
    tables = set(inspect(store.engine).get_table_names())
    assert {"predictions", "feedback", "alembic_version"} <= tables
    with store.engine.connect() as conn:
        applied = {v for (v,) in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    heads = ScriptDirectory.from_config(alembic_config(store_url)).get_heads()
    assert applied == set(heads) and "0001" not in heads  # every branch applied, once


def test_feedback_by_id_copies_the_prediction(store_url: str):
    store = FeedbackStore(store_url)
    pid = _record(store, "a", variant="B", version="v2")
    store.add_feedback("reject", prediction_id=pid, correct_label="Planning")
    (example,) = store.labelled_examples(MODEL)
    assert (example.input, example.label, example.verdict) == ({"title": "a"}, "Planning",
                                                               "reject")
    (version,) = store.stats(MODEL)["models"][0]["versions"]
    assert (version["version"], version["variant"], version["rejected"]) == ("v2", "B", 1)


def test_unknown_prediction_id_raises(store_url: str):
    with pytest.raises(UnknownPredictionError):
        FeedbackStore(store_url).add_feedback("accept", prediction_id="f" * 32)


def test_latest_verdict_per_input_wins_and_bare_rejects_teach_nothing(store_url: str):
    store = FeedbackStore(store_url)
    pid = _record(store, "x")
    store.add_feedback("correct", prediction_id=pid, correct_label="Research")
    store.add_feedback("correct", prediction_id=pid, correct_label="Meeting")
    store.add_feedback("reject", prediction_id=_record(store, "y"))
    store.add_feedback("accept", model=MODEL, input={"title": "z"}, input_key="key-z",
                       predicted="Design")
    labels = {e.input_key: e.label for e in store.labelled_examples(MODEL)}
    assert labels == {"key-x": "Meeting", "key-z": "Design"}


def test_stats_accept_rate_per_version_and_label(store_url: str):
    store = FeedbackStore(store_url)
    for i in range(4):
        store.add_feedback("accept" if i < 3 else "reject",
                           prediction_id=_record(store, f"a{i}", "Design", "v1"))
    store.add_feedback("reject", prediction_id=_record(store, "b", "Meeting", "v2"))
    (model,) = store.stats()["models"]
    assert model["predictions"] == 5 and model["accept_rate"] == 0.6
    by_version = {v["version"]: v for v in model["versions"]}
    assert by_version["v1"]["accept_rate"] == 0.75
    assert by_version["v1"]["labels"]["Design"]["accepted"] == 3
    assert by_version["v2"]["accept_rate"] == 0.0


def test_concurrent_writers_lose_no_write(store_url: str):
    """Four stores (as four API workers) x three threads each, writing at once."""
    stores = [FeedbackStore(store_url) for _ in range(4)]
    errors: list[BaseException] = []
    per_thread = 15

    def writer(store: FeedbackStore, n: int) -> None:
        try:
            for i in range(per_thread):
                pid = _record(store, f"w{n}-{i}")
                store.add_feedback("accept", prediction_id=pid)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(stores[n % 4], n)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert stores[0].counts() == (12 * per_thread, 12 * per_thread)
