"""End to end through the real API and a real SQLite file: categorise, correct, retrain,
see the new version serve the correction; then a poisoned retrain is not promoted."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.tasks.conftest import TASK_MODEL, TOKEN
from tests.utils.auth import WRITER_HEADERS
from tests.utils.jobs import retrain_and_wait
from training.tasks.generator import generate_tasks

AUTH = {"Authorization": f"Bearer {TOKEN}"}
ODD = {"title": "Renew the office lease and order new chairs",
       "description": "Talk to the landlord and compare furniture quotes."}
NEW = {"title": "Submit the quarterly VAT return",
       "description": "Collect receipts and file the tax forms with the accountant."}
SWAP = {"Development": "Meeting", "Meeting": "Design", "Design": "Research",
        "Research": "Planning", "Planning": "Development"}


def _retrain(client: TestClient) -> dict[str, Any]:
    return retrain_and_wait(client, TASK_MODEL, AUTH)


def _served(client: TestClient) -> str:
    models = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
    return str(models[TASK_MODEL]["active_version"])


@pytest.mark.slow
def test_correction_is_learnt_and_poisoned_retrain_is_not_promoted(task_client: TestClient):
    before = task_client.post("/v1/tasks/categorize", json=ODD).json()
    wanted = "Planning" if before["category"] != "Planning" else "Research"
    r = task_client.post("/v1/feedback", headers=WRITER_HEADERS,
                         json={"prediction_id": before["prediction_id"],
                               "verdict": "reject", "correct_label": wanted})
    assert r.status_code == 201, r.text
    new_pid = task_client.post("/v1/tasks/categorize", json=NEW).json()["prediction_id"]
    r = task_client.post("/v1/feedback", headers=WRITER_HEADERS,
                         json={"prediction_id": new_pid, "verdict": "correct",
                               "correct_label": "Finance"})
    assert r.json()["new_label"] is True and r.json()["held_for_approval"] is True
    r = task_client.post("/v1/feedback/labels/approve", headers=AUTH,
                         json={"model": TASK_MODEL, "label": "Finance"})
    assert r.status_code == 200 and r.json()["corrections"] == 1

    report = _retrain(task_client)
    assert report["promoted"] is True, report["reason"]
    assert report["candidate_version"] == "v2" and report["current_version"] == "v1"
    assert report["new_labels"] == ["Finance"]
    assert report["current"]["accuracy"] is not None
    assert report["candidate"]["accuracy"] >= report["current"]["accuracy"] - 0.01
    assert _served(task_client) == "v2"
    after = task_client.post("/v1/tasks/categorize", json=ODD).json()
    assert (after["category"], after["model_version"]) == (wanted, "v2")
    assert task_client.post("/v1/tasks/categorize", json=NEW).json()["category"] == "Finance"

    poison = generate_tasks(60, seed=7)
    for title, desc, label in zip(poison["title"], poison["description"], poison["category"],
                                  strict=True):
        r = task_client.post("/v1/feedback", headers=WRITER_HEADERS, json={
            "model": TASK_MODEL, "input": {"title": title, "description": desc},
            "predicted": label, "verdict": "correct", "correct_label": SWAP[label]})
        assert r.status_code == 201, r.text
    report = _retrain(task_client)
    assert report["promoted"] is False
    assert report["candidate_version"] is None
    assert "held-out base accuracy" in report["reason"]
    assert report["candidate"]["accuracy"] < report["current"]["accuracy"] - 0.01
    assert report["current_version"] == "v2" and report["heldout_corrections"] > 0
    assert _served(task_client) == "v2"
    models = {m["name"]: m for m in task_client.get("/v1/models").json()["models"]}
    assert [v["version"] for v in models[TASK_MODEL]["versions"]] == ["v1", "v2"]
    assert task_client.post("/v1/tasks/categorize", json=ODD).json()["category"] == wanted
