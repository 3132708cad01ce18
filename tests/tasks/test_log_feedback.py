"""The log endpoint's feedback hook: ids per prediction, feedback on them, stats."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.registry.local import LocalModelStore
from tests.utils.auth import WRITER_HEADERS
from tests.utils.factories import make_settings

LOGS = [{"source": "BillingSystem", "log_message": "Payment service crashed with exit code 9"},
        {"source": "ModernCRM", "log_message": "Brute force attack suspected from 10.0.0.7"}]


def test_log_predictions_get_ids_and_take_feedback(tiny_store: LocalModelStore,
                                                   tmp_path: Path):
    settings = make_settings(tiny_store.root, RATE_LIMIT="off", LOG_FORMAT="text",
                             DATABASE_URL=f"sqlite:///{tmp_path / 'fb.db'}")
    with TestClient(create_app(settings, load_in_background=False)) as client:
        body = client.post("/v1/logs/classify", json={"logs": LOGS}).json()
        assert len(body["predictions"]) == 2  # existing fields untouched
        ids = body["prediction_ids"]
        assert len(ids) == 2 and len(set(ids)) == 2
        r = client.post("/v1/feedback", headers=WRITER_HEADERS,
                        json={"prediction_id": ids[0], "verdict": "correct",
                              "correct_label": "Critical Error"})
        assert r.status_code == 201, r.text
        assert r.json()["model"] == "log-classifier" and r.json()["new_label"] is False
        r = client.post("/v1/feedback", headers=WRITER_HEADERS,
                        json={"prediction_id": ids[1], "verdict": "reject",
                              "correct_label": "Intrusion"})
        assert r.json()["new_label"] is True and r.json()["held_for_approval"] is True
        assert "kept" in r.json()["note"]
        by_input = client.post("/v1/feedback", headers=WRITER_HEADERS, json={
            "model": "log-classifier", "input": LOGS[1], "predicted": "Security Alert",
            "verdict": "accept"})
        assert by_input.status_code == 201
        (model,) = client.get("/v1/feedback/stats",
                              params={"model": "log-classifier"}).json()["models"]
        assert (model["predictions"], model["feedback"], model["accepted"]) == (2, 3, 1)
