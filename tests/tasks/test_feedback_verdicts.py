"""Feedback verdicts mean what they say: a `correct` that repeats the prediction is an
accept (issue 29), so the accept rate counts it as agreement."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.tasks.conftest import TASK_MODEL
from tests.utils.auth import WRITER_HEADERS

BUG = {"title": "Fix login redirect loop on Safari", "description": "Users bounce to /login"}


def test_correct_with_the_predicted_label_is_stored_as_accept(task_client: TestClient):
    answer = task_client.post("/v1/tasks/categorize", json=BUG).json()
    r = task_client.post("/v1/feedback", headers=WRITER_HEADERS, json={
        "prediction_id": answer["prediction_id"], "verdict": "correct",
        "correct_label": answer["category"]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["verdict"] == "accept" and body["correct_label"] is None
    assert "stored as verdict 'accept'" in body["warnings"][0]
    (model,) = task_client.get("/v1/feedback/stats", params={"model": TASK_MODEL}
                               ).json()["models"]
    assert model["accepted"] == 1 and model["accept_rate"] == 1.0


def test_correct_with_another_label_stays_a_correction(task_client: TestClient):
    answer = task_client.post("/v1/tasks/categorize", json=BUG).json()
    other = next(s["category"] for s in answer["suggestions"]
                 if s["category"] != answer["category"])
    r = task_client.post("/v1/feedback", headers=WRITER_HEADERS, json={
        "prediction_id": answer["prediction_id"], "verdict": "correct",
        "correct_label": other})
    assert r.status_code == 201, r.text
    assert r.json()["verdict"] == "correct" and r.json()["warnings"] == []
    (model,) = task_client.get("/v1/feedback/stats", params={"model": TASK_MODEL}
                               ).json()["models"]
    assert model["accepted"] == 0
