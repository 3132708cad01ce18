"""The task and feedback endpoints through the real app, with a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from tests.tasks.conftest import TASK_MODEL, TOKEN, task_settings
from tests.utils.auth import WRITER_HEADERS

ADMIN = {"Authorization": f"Bearer {TOKEN}"}
CATEGORIES = {"Development", "Design", "Research", "Meeting", "Planning"}
BUG = {"title": "Fix crash in the payment service when the session expires",
       "description": "Stack trace points to a null check; add a regression test."}


def test_categorize_returns_category_confidence_and_suggestions(task_client: TestClient):
    r = task_client.post("/v1/tasks/categorize", json=BUG)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["category"] == "Development"
    assert body["prediction_id"] and len(body["prediction_id"]) == 32
    assert body["model_version"] == "v1"
    assert len(body["suggestions"]) == 3
    assert body["suggestions"][0]["category"] == body["category"]
    assert {s["category"] for s in body["suggestions"]} <= CATEGORIES
    confidences = [s["confidence"] for s in body["suggestions"]]
    assert confidences == sorted(confidences, reverse=True)
    assert body["auto_selected"] == (body["confidence"] >= 0.7)


def test_categorize_same_input_is_cached_and_equal(task_client: TestClient):
    first = task_client.post("/v1/tasks/categorize", json=BUG).json()
    second = task_client.post("/v1/tasks/categorize",
                              json={"title": BUG["title"].upper() + "  ",
                                    "description": BUG["description"]}).json()
    assert second["cached"] is True
    assert second["confidence"] == first["confidence"]
    assert second["prediction_id"] != first["prediction_id"]


def test_batch_keeps_order_and_count(task_client: TestClient):
    tasks = [BUG, {"title": "Weekly sync with the data team"},
             {"title": "Create wireframes for the settings page", "description": ""}] * 3
    r = task_client.post("/v1/tasks/categorize/batch", json={"tasks": tasks})
    assert r.status_code == 200, r.text
    predictions = r.json()["predictions"]
    assert len(predictions) == 9
    assert [p["category"] for p in predictions[:3]] == ["Development", "Meeting", "Design"]
    assert len({p["prediction_id"] for p in predictions}) == 9


def test_empty_title_is_422_with_what_to_fix(task_client: TestClient):
    r = task_client.post("/v1/tasks/categorize", json={"title": "   ", "description": "x"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "title is empty" in r.json()["detail"]


def test_100kb_description_is_413_naming_the_limit(task_client: TestClient):
    r = task_client.post("/v1/tasks/categorize",
                         json={"title": "Plan Q3", "description": "a" * 100_000})
    assert r.status_code == 413
    assert "10,000" in r.json()["detail"]


def test_batch_bad_row_names_its_index(task_client: TestClient):
    r = task_client.post("/v1/tasks/categorize/batch",
                         json={"tasks": [BUG, {"title": ""}]})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("tasks[1].title is empty")
    assert task_client.post("/v1/tasks/categorize/batch", json={"tasks": []}).status_code == 422


def test_feedback_accept_reject_correct_and_stats(task_client: TestClient):
    ids = [task_client.post("/v1/tasks/categorize", json=BUG).json()["prediction_id"]
           for _ in range(3)]
    accepted = task_client.post("/v1/feedback", headers=WRITER_HEADERS,
                                json={"prediction_id": ids[0],
                                      "verdict": "accept"})
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["model_version"] == "v1"
    task_client.post("/v1/feedback", headers=WRITER_HEADERS,
                     json={"prediction_id": ids[1], "verdict": "reject"})
    task_client.post("/v1/feedback", headers=WRITER_HEADERS,
                     json={"prediction_id": ids[2], "verdict": "correct",
                           "correct_label": "Planning"})
    stats = task_client.get("/v1/feedback/stats", params={"model": TASK_MODEL}).json()
    (model,) = stats["models"]
    assert model["feedback"] == 3 and model["accepted"] == 1
    assert model["accept_rate"] == round(1 / 3, 4)
    (version,) = model["versions"]
    assert version["version"] == "v1" and version["predictions"] == 3
    assert version["labels"]["Development"]["corrected"] == 1


def test_feedback_by_input_without_prediction_id(task_client: TestClient):
    r = task_client.post("/v1/feedback", headers=WRITER_HEADERS, json={
        "model": TASK_MODEL, "input": {"title": "Design a logo"}, "predicted": "Design",
        "verdict": "accept"})
    assert r.status_code == 201, r.text
    assert r.json()["model_version"] == "v1"


def test_feedback_unknown_prediction_id_is_404(task_client: TestClient):
    r = task_client.post("/v1/feedback", headers=WRITER_HEADERS,
                         json={"prediction_id": "0" * 32, "verdict": "accept"})
    assert r.status_code == 404
    assert "Unknown prediction_id" in r.json()["detail"]


def test_feedback_unknown_model_is_404(task_client: TestClient):
    r = task_client.post("/v1/feedback", headers=WRITER_HEADERS,
                         json={"model": "nope", "input": {"title": "x"},
                               "predicted": "Design", "verdict": "accept"})
    assert r.status_code == 404
    assert "Unknown model 'nope'" in r.json()["detail"]


def test_correct_without_label_is_422(task_client: TestClient):
    pid = task_client.post("/v1/tasks/categorize", json=BUG).json()["prediction_id"]
    r = task_client.post("/v1/feedback", headers=WRITER_HEADERS,
                         json={"prediction_id": pid, "verdict": "correct"})
    assert r.status_code == 422
    assert "correct_label" in r.json()["detail"]


def test_correction_to_new_category_is_held_until_an_admin_approves(task_client: TestClient):
    pid = task_client.post("/v1/tasks/categorize", json=BUG).json()["prediction_id"]
    r = task_client.post("/v1/feedback", headers=WRITER_HEADERS,
                         json={"prediction_id": pid, "verdict": "reject",
                               "correct_label": "Support"})
    assert r.status_code == 201
    assert r.json()["new_label"] is True and r.json()["held_for_approval"] is True
    assert "approves" in r.json()["note"]
    pending = task_client.get("/v1/feedback/labels", headers=ADMIN).json()["pending"]
    assert pending == [{"model": TASK_MODEL, "label": "Support", "corrections": 1,
                        "clients": 1}]
    assert task_client.post("/v1/feedback/labels/approve", headers=WRITER_HEADERS,
                            json={"model": TASK_MODEL, "label": "Support"}).status_code == 403
    r = task_client.post("/v1/feedback/labels/approve", headers=ADMIN,
                         json={"model": TASK_MODEL, "label": "Support"})
    assert r.status_code == 200 and r.json()["corrections"] == 1
    assert task_client.get("/v1/feedback/labels", headers=ADMIN).json()["pending"] == []
    r = task_client.post("/v1/feedback", headers=WRITER_HEADERS, json={
        "model": TASK_MODEL, "input": {"title": "Reset a customer's password"},
        "predicted": "Development", "verdict": "correct", "correct_label": "Support"})
    assert r.json()["held_for_approval"] is False


def test_retrain_needs_token_and_known_model(task_client: TestClient):
    assert task_client.post(f"/v1/models/{TASK_MODEL}/retrain").status_code == 401
    headers = {"Authorization": "Bearer task-test-token-0123456789"}
    r = task_client.post("/v1/models/nope/retrain", headers=headers)
    assert r.status_code == 404
    r = task_client.post(f"/v1/models/{TASK_MODEL}/retrain", headers=headers)
    assert r.status_code == 409 and "nothing new to learn" in r.json()["detail"]
    assert task_client.get("/v1/jobs/doesnotexist").status_code == 404


@pytest.mark.slow
def test_ab_split_within_5_percent_over_1000_clients_and_sticky(task_models: Path,
                                                                tmp_path: Path):
    # publish a second version (same weights) to serve as the B side
    import shutil

    from backend.registry.local import LocalModelStore
    from backend.registry.manifest import Manifest

    store = LocalModelStore(task_models)
    with store.staging(TASK_MODEL) as staged:
        for path in store.path(TASK_MODEL, "v1").iterdir():
            if path.name != "manifest.json":
                shutil.copy(path, staged / path.name)
        store.publish(staged, Manifest(name=TASK_MODEL, kind="task-categorizer",
                                       labels=sorted(CATEGORIES)))
    settings = task_settings(task_models, tmp_path / "ab.db", TASK_MODEL_VERSION="v1",
                             TASK_AB_VERSION="v2", TASK_AB_SPLIT=0.3)
    with TestClient(create_app(settings, load_in_background=False)) as client:
        sides = []
        for i in range(1000):
            body = client.post("/v1/tasks/categorize",
                               json={**BUG, "client_key": f"user-{i}"}).json()
            sides.append((body["variant"], body["model_version"]))
        share_b = sum(v == "B" for v, _ in sides) / len(sides)
        assert abs(share_b - 0.3) <= 0.05, share_b
        assert all((v, ver) in {("A", "v1"), ("B", "v2")} for v, ver in sides)
        again = [client.post("/v1/tasks/categorize", json={**BUG, "client_key": f"user-{i}"},
                             ).json()["variant"] for i in range(50)]
        assert again == [v for v, _ in sides[:50]]
        stats = client.get("/v1/feedback/stats").json()
        variants = {v["variant"]: v["predictions"] for v in stats["models"][0]["versions"]}
        assert variants["A"] + variants["B"] == 1050
        assert stats["ab"]["enabled"] is True
