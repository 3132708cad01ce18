"""Issue 24, the writer model (defects 2, 3 and 8 and the approval of downgrades), through
the real API, a real SQLite file and the tiny real model: a writer's corrections answer its
own requests, and everyone's only on the sources WRITER_SOURCES grants it; "*" is the
admin's; a problem label turned routine waits for an admin; neighbours never override a
confident model; the memory is listed masked, to credentials, and undone by its author or
the admin only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from backend.api.main import create_app
from backend.feedback.memory import ADMIN_AUTHOR, Grants, MemoryEntry, MemoryStore
from backend.feedback.migrate import upgrade
from backend.feedback.store import FeedbackStore, make_engine
from backend.logs.memory import NeighbourIndex, choose_rule
from backend.registry.local import LocalModelStore
from tests.utils.auth import bearer
from tests.utils.factories import make_settings

ADMIN_TOKEN = "writer-model-admin-token-0123456789"
BOB_TOKEN = "bob-writer-token-0123456789abc"
ALICE_TOKEN = "alice-writer-token-0123456789ab"
ADMIN, BOB, ALICE, ANONYMOUS = (bearer(ADMIN_TOKEN), bearer(BOB_TOKEN), bearer(ALICE_TOKEN),
                                {})
LINE = {"source": "BillingSystem", "log_message": "Payment service crashed with exit code 137"}
SAME = {"source": "BillingSystem", "log_message": "Payment service crashed with exit code 9"}
MOVED = {"source": "ModernHR", "log_message": "Payment service crashed with exit code 9"}
ATTACK = {"source": "ModernCRM",
          "log_message": "Brute force attack suspected from IP 203.0.113.77 user root"}


def _app(store: LocalModelStore, tmp_path: Path, **overrides: Any) -> TestClient:
    settings = make_settings(store.root, RATE_LIMIT="off", API_TOKEN=ADMIN_TOKEN,
                             DATABASE_URL=f"sqlite:///{tmp_path / 'fb.db'}",
                             WRITER_TOKENS={"bob": BOB_TOKEN, "alice": ALICE_TOKEN},
                             FEEDBACK_MEMORY_REFRESH_S=0.0, **overrides)
    return TestClient(create_app(settings, load_in_background=False))


def _labels(client: TestClient, headers: dict[str, str], *lines: dict[str, str]
            ) -> list[str]:
    r = client.post("/v1/logs/classify", json={"logs": list(lines)}, headers=headers)
    assert r.status_code == 200, r.text
    return [p["label"] for p in r.json()["predictions"]]


def _correct(client: TestClient, headers: dict[str, str], line: dict[str, str], label: str,
             predicted: str = "Error") -> dict[str, Any]:
    r = client.post("/v1/feedback", headers=headers, json={
        "model": "log-classifier", "input": line, "predicted": predicted,
        "verdict": "correct", "correct_label": label})
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_writers_correction_answers_only_its_own_requests(tiny_store: LocalModelStore,
                                                            tmp_path: Path) -> None:
    with _app(tiny_store, tmp_path) as client:
        before = _labels(client, ANONYMOUS, LINE, SAME)
        assert "Security Alert" not in before
        assert _correct(client, BOB, LINE, "Security Alert")["memory"] is not None
        assert _labels(client, BOB, LINE, SAME) == ["Security Alert"] * 2  # bob's own
        assert _labels(client, ANONYMOUS, LINE, SAME) == before  # nobody else's
        assert _labels(client, ALICE, LINE, SAME) == before
        assert _labels(client, ADMIN, LINE, SAME) == before


def test_writer_sources_grant_a_writers_corrections_to_everyone_on_named_sources_only(
        tiny_store: LocalModelStore, tmp_path: Path) -> None:
    with _app(tiny_store, tmp_path, WRITER_SOURCES={"bob": ["BillingSystem"]}) as client:
        before = _labels(client, ANONYMOUS, LINE, MOVED)
        _correct(client, BOB, LINE, "Security Alert")
        _correct(client, BOB, MOVED, "Critical Error")
        assert _labels(client, BOB, LINE, MOVED) == ["Security Alert", "Critical Error"]
        # granted BillingSystem: everyone's answer there; not granted ModernHR: bob's only
        assert _labels(client, ANONYMOUS, LINE, MOVED) == ["Security Alert", before[1]]
        assert _labels(client, ALICE, LINE, MOVED) == ["Security Alert", before[1]]


@pytest.mark.parametrize("scope_setting", ["source", "global"])
def test_a_writer_naming_source_star_changes_no_one_elses_answers(
        scope_setting: str, tiny_store: LocalModelStore, tmp_path: Path) -> None:
    star = {"source": "*", "log_message": LINE["log_message"]}
    with _app(tiny_store, tmp_path, FEEDBACK_MEMORY_SCOPE=scope_setting,
              WRITER_SOURCES={"bob": ["BillingSystem"]}) as client:
        before = _labels(client, ANONYMOUS, LINE, MOVED, star)
        _correct(client, BOB, star, "Security Alert")
        assert _labels(client, ANONYMOUS, LINE, MOVED, star)[1:] == before[1:]
        assert _labels(client, ALICE, MOVED, star) == before[1:]


def test_only_the_admin_teaches_every_source(tiny_store: LocalModelStore,
                                             tmp_path: Path) -> None:
    with _app(tiny_store, tmp_path, FEEDBACK_MEMORY_SCOPE="global") as client:
        entry = _correct(client, ADMIN, LINE, "Security Alert")["memory"]
        assert entry["scope"] == "*" and entry["author"] == "admin"
        for who in (ANONYMOUS, ALICE, BOB):
            assert _labels(client, who, LINE, MOVED) == ["Security Alert"] * 2


def test_a_writer_mapping_with_star_fails_configuration_validation() -> None:
    with pytest.raises(ValueError, match=r"WRITER_SOURCES\['bob'\] contains '\*'.*admin"):
        make_settings(WRITER_SOURCES={"bob": ["OpenSSH", "*"]})
    assert make_settings(WRITER_SOURCES={"bob": ["OpenSSH"]}).WRITER_SOURCES == {
        "bob": ["OpenSSH"]}


def test_a_problem_label_turned_routine_is_held_for_admin_approval(
        tiny_store: LocalModelStore, tmp_path: Path) -> None:
    with _app(tiny_store, tmp_path, WRITER_SOURCES={"bob": ["ModernCRM"]}) as client:
        assert _labels(client, ANONYMOUS, ATTACK) == ["Security Alert"]
        # bob names a routine `predicted`: the service's own answer is what counts
        body = _correct(client, BOB, ATTACK, "Resource Usage", predicted="HTTP Status")
        assert body["held_for_approval"] is True and body["memory"] is None
        assert body["new_label"] is False and "Held for approval" in body["note"]
        assert _labels(client, BOB, ATTACK) == _labels(client, ANONYMOUS, ATTACK) == [
            "Security Alert"]
        store = FeedbackStore(f"sqlite:///{tmp_path / 'fb.db'}")
        assert store.labelled_examples("log-classifier") == []  # nor does it train
        assert client.get("/v1/feedback/held", headers=BOB).status_code == 403
        (held,) = client.get("/v1/feedback/held", headers=ADMIN).json()["held"]
        assert held["feedback_id"] == body["feedback_id"] and held["client"] == "writer:bob"
        assert held["label"] == "Resource Usage" and held["predicted"] == "HTTP Status"
        r = client.post(f"/v1/feedback/held/{held['feedback_id']}/approve", headers=ADMIN)
        assert r.status_code == 200 and r.json()["memory"]["author"] == "writer:bob"
        # approved: it answers with bob's reach (his requests, his granted source)
        assert _labels(client, BOB, ATTACK) == _labels(client, ALICE, ATTACK) == [
            "Resource Usage"]
        assert [e.label for e in store.labelled_examples("log-classifier")] == ["Resource Usage"]
        assert client.get("/v1/feedback/held", headers=ADMIN).json()["held"] == []
        again = client.post(f"/v1/feedback/held/{held['feedback_id']}/approve", headers=ADMIN)
        assert again.status_code == 404
        # rejected: never answers nor trains; problem -> problem is not held
        other = {"source": "ModernHR", "log_message": "Unauthorized access attempt to admin "
                                                      "panel by user 88"}
        held_id = _correct(client, ALICE, other, "HTTP Status")["feedback_id"]
        assert client.post(f"/v1/feedback/held/{held_id}/reject",
                           headers=ADMIN).json()["decision"] == "rejected"
        assert _labels(client, ALICE, other) == ["Security Alert"]
        assert _correct(client, ALICE, other, "Critical Error")["held_for_approval"] is False
        assert _correct(client, ADMIN, other, "Resource Usage")["held_for_approval"] is False


def _entry(i: int, label: str) -> MemoryEntry:
    return MemoryEntry(i, "*", f"key {i}", label, "v1", None, "", None, author=ADMIN_AUTHOR)


def test_neighbours_never_override_a_confident_model_answer() -> None:
    # ten corrections in one tight cluster; the model answers half of them confidently
    # (0.99, above its 0.5 threshold) and half unsure (0.3), wrongly each time
    rng = np.random.default_rng(1)
    vectors = np.eye(8)[0] + 0.02 * rng.normal(size=(10, 8))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    entries = [_entry(i, "Resource Usage") for i in range(10)]
    model = {e.key: ("Security Alert", 0.99 if i % 2 else 0.3) for i, e in enumerate(entries)}
    rule = choose_rule(entries, vectors, model, threshold=0.5)
    assert rule is not None and rule.unsure_below <= 0.5  # follows only the unsure half
    assert rule.accuracy_with == 0.5
    confident = {e.key: ("Security Alert", 0.99) for e in entries}
    assert choose_rule(entries, vectors, confident, threshold=0.5) is None


def test_neighbours_follow_only_corrections_that_answer_the_caller() -> None:
    entries = [MemoryEntry(1, "A", "k1", "Error", "v1", None, "", None, author="writer:bob"),
               MemoryEntry(2, "B", "k2", "Error", "v1", None, "", None, author="writer:bob")]
    index = NeighbourIndex(np.tile(np.eye(4)[0], (2, 1)), entries, None,
                           Grants({"writer:bob": frozenset({"B"})}))
    unit = lambda keys: np.tile(np.eye(4)[0], (len(keys), 1))  # noqa: E731
    asked = [("A", "new"), ("B", "new")]
    assert [h and h[0].id for h in index.nearest(asked, unit, "writer:bob")] == [1, 2]
    assert [h and h[0].id for h in index.nearest(asked, unit, "writer:alice")] == [None, 2]
    assert [h and h[0].id for h in index.nearest(asked, unit, None)] == [None, 2]


def test_memory_entries_from_before_the_writer_model_keep_their_writers_reach(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    for revision in ("s001", "m001"):  # the store as the previous release left it
        upgrade(engine, revision)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO feedback (id, created_at, model, input_json, input_key, predicted, "
            "verdict, correct_label, client, status) VALUES (7, CURRENT_TIMESTAMP, "
            "'log-classifier', '{}', 'k', 'Error', 'correct', 'Critical Error', "
            "'writer:bob', 'ok')"))
        for entry_id, feedback_id in ((1, 7), (2, None)):
            connection.execute(text(
                "INSERT INTO feedback_memory (id, created_at, model, scope, template_key, "
                "label, feedback_id, example) VALUES (:id, CURRENT_TIMESTAMP, "
                "'log-classifier', 'A', 'k', 'Critical Error', :fb, 'line')"),
                {"id": entry_id, "fb": feedback_id})
    engine.dispose()
    entries = MemoryStore(FeedbackStore(url)).entries("log-classifier")  # migrates to heads
    assert [(e.id, e.author) for e in entries] == [(1, "writer:bob"), (2, None)]
    grants = Grants()
    assert grants.applies(entries[0], "A", "writer:bob")
    assert not any(grants.applies(e, "A", c) for e in entries[1:]
                   for c in (None, "writer:bob", "admin"))


def test_listing_the_memory_needs_a_credential_and_shows_masked_keys(
        tiny_store: LocalModelStore, tmp_path: Path) -> None:
    with _app(tiny_store, tmp_path) as client:
        _correct(client, BOB, ATTACK, "Critical Error")
        assert client.get("/v1/feedback/memory").status_code == 401
        r = client.get("/v1/feedback/memory", headers=BOB)
        (entry,) = r.json()["entries"]
        assert entry["mine"] is True and "example" not in entry
        assert "203.0.113.77" not in r.text and "root" not in r.text.replace("root:", "")
        assert "<" in entry["template_key"]  # masked: <ip>, <num>, ...
        assert client.get("/v1/feedback/memory", headers=ALICE).json()["entries"] == []
        assert len(client.get("/v1/feedback/memory", headers=ADMIN).json()["entries"]) == 1


def test_only_the_author_or_the_admin_may_undo_a_memory_entry(
        tiny_store: LocalModelStore, tmp_path: Path) -> None:
    with _app(tiny_store, tmp_path, WRITER_SOURCES={"bob": ["BillingSystem"]}) as client:
        shared = _correct(client, BOB, LINE, "Security Alert")["memory"]["id"]
        private = _correct(client, BOB, MOVED, "Critical Error")["memory"]["id"]
        # alice sees bob's shared entry (it answers her) but may not undo it; his private
        # one does not exist for her
        assert client.delete(f"/v1/feedback/memory/{shared}", headers=ALICE).status_code == 403
        assert client.delete(f"/v1/feedback/memory/{private}",
                             headers=ALICE).status_code == 404
        assert _labels(client, ALICE, LINE) == ["Security Alert"]
        assert client.delete(f"/v1/feedback/memory/{shared}", headers=BOB).status_code == 200
        assert client.delete(f"/v1/feedback/memory/{private}",
                             headers=ADMIN).status_code == 200
        assert client.get("/v1/feedback/memory", headers=BOB).json()["entries"] == []
