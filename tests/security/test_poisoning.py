"""Issue 19, finding 1: the reported poisoning (13 corrections teaching an attacker's label
"PWNED") refused at each layer, through the real API, a real SQLite file and the real
retrain job: anonymous feedback is 401; a writer's new label is held for approval and
does not train; once approved, a candidate that loses on the protected held-out set (base
data no client can write) is not promoted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.registry.gate import decide
from tests.retrain.conftest import LOG_MODEL, LOG_ROWS
from tests.utils.auth import WRITER_HEADERS, bearer
from tests.utils.factories import make_settings
from tests.utils.jobs import retrain_and_wait
from training.logs.generator import generate_logs
from training.logs.retrain import corrections_frame, split_data
from training.logs.train import LogTrainingArguments

ADMIN_TOKEN = "security-admin-token-0123456789"
ADMIN = bearer(ADMIN_TOKEN)
PWNED = "PWNED"


def _protected_rows(n: int) -> list[dict[str, str]]:
    """Rows of the held-out base set v1 was gated on (seed 42, as `publish_base`)."""
    _, protected, _ = split_data(generate_logs(n=LOG_ROWS, seed=42), corrections_frame([]),
                                 LogTrainingArguments(seed=42))
    rows = protected.drop_duplicates("log_message").head(n)
    return [{"source": s, "log_message": m} for s, m in zip(rows["source"], rows["log_message"],
                                                            strict=True)]


def _poison(client: TestClient, rows: list[dict[str, str]], headers: dict[str, str]
            ) -> list[Any]:
    return [client.post("/v1/feedback", headers=headers, json={
        "model": LOG_MODEL, "input": row, "predicted": "Error", "verdict": "correct",
        "correct_label": PWNED}) for row in rows]


def _retrain(client: TestClient) -> dict[str, Any]:
    return retrain_and_wait(client, LOG_MODEL, ADMIN)


@pytest.mark.slow
def test_the_reported_poisoning_is_refused_at_each_layer(log_models: Path, tmp_path: Path):
    settings = make_settings(log_models, API_TOKEN=ADMIN_TOKEN, RATE_LIMIT="off",
                             LOG_FORMAT="text", DATABASE_URL=f"sqlite:///{tmp_path / 'fb.db'}")
    rows = _protected_rows(13)
    with TestClient(create_app(settings, load_in_background=False)) as client:
        # layer 1: no credential, no feedback
        answers = _poison(client, rows, {})
        assert {r.status_code for r in answers} == {401}
        assert "Bearer" in answers[0].json()["detail"]
        assert client.get("/v1/feedback/stats").json()["models"] == []

        # layer 2: a writer may correct, but a label the model does not know is held
        answers = _poison(client, rows, WRITER_HEADERS)
        assert {r.status_code for r in answers} == {201}
        assert all(r.json()["held_for_approval"] for r in answers)
        pending = client.get("/v1/feedback/labels", headers=ADMIN).json()["pending"]
        assert pending == [{"model": LOG_MODEL, "label": PWNED, "corrections": 13,
                            "clients": 1}]
        r = client.post(f"/v1/models/{LOG_MODEL}/retrain", headers=ADMIN)
        assert r.status_code == 409 and "No labelled feedback" in r.json()["detail"]
        assert client.post("/v1/feedback/labels/approve", headers=WRITER_HEADERS,
                           json={"model": LOG_MODEL, "label": PWNED}).status_code == 403
        assert client.post(f"/v1/models/{LOG_MODEL}/retrain",
                           headers=WRITER_HEADERS).status_code == 403

        # layer 3: even approved, the corrections cannot buy a promotion. Since issue 28
        # the protected rows they relabel are theirs to decide (left out of the protected
        # figure: it no longer vetoes a team's own labels), but the candidate loses on the
        # rest of the protected set and is refused
        r = client.post("/v1/feedback/labels/approve", headers=ADMIN,
                        json={"model": LOG_MODEL, "label": PWNED})
        assert r.status_code == 200 and r.json()["corrections"] == 13
        report = _retrain(client)
        assert report["promoted"] is False and report["candidate_version"] is None
        assert report["reason"].startswith("protected held-out base templates the team does "
                                           "not contradict accuracy"), report["reason"]
        assert report["candidate"]["accuracy"] < report["current"]["accuracy"] - 0.01
        protected = report["decided_by"]["protected"]
        assert protected["contradicted_rows_left_out"] >= 13 and protected["rows"] > 0
        models = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
        assert models[LOG_MODEL]["active_version"] == "v1"
        assert [v["version"] for v in models[LOG_MODEL]["versions"]] == ["v1"]


def test_the_gate_refuses_a_candidate_without_or_below_the_protected_score():
    current = {"accuracy": 0.90, "corrections_accuracy": 0.5}
    promote, why = decide({"accuracy": None, "corrections_accuracy": 1.0}, current, "v1", 0.01)
    assert not promote and "protected held-out set" in why
    promote, why = decide({"accuracy": 0.85, "corrections_accuracy": 1.0}, current, "v1", 0.01)
    assert not promote and why.startswith("protected held-out base accuracy 0.8500")
    assert decide({"accuracy": 0.90, "corrections_accuracy": 1.0}, current, "v1", 0.01)[0]
