"""Gated retraining of the log classifier: merging rules, and end to end through the real
API with a real SQLite feedback file (classify, correct, retrain, poisoned retrain)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backend.api.main import create_app
from backend.core.config import get_settings
from backend.feedback.store import FeedbackStore, LabelledExample
from backend.registry.local import LocalModelStore
from tests.retrain.conftest import LOG_MODEL, TOKEN
from tests.utils.auth import WRITER_HEADERS
from tests.utils.factories import make_settings
from tests.utils.jobs import retrain_and_wait
from training.cli import app
from training.logs.generator import generate_logs
from training.logs.retrain import corrections_frame, split_data
from training.logs.train import LogTrainingArguments

AUTH = {"Authorization": f"Bearer {TOKEN}"}
LOGS = [{"source": "BillingSystem", "log_message": "Payment service crashed with exit code 9"},
        {"source": "ModernCRM", "log_message": "Brute force attack suspected from 10.0.0.7"},
        {"source": "ModernHR", "log_message": "Disk usage at 97% on volume /data"}]
SWAP = {"Critical Error": "HTTP Status", "Error": "Security Alert",
        "HTTP Status": "Resource Usage", "Resource Usage": "Critical Error",
        "Security Alert": "Error"}


def _example(source: str, message: str, label: str) -> LabelledExample:
    return LabelledExample({"source": source, "log_message": message}, message, label, "correct")


def test_corrections_win_over_base_rows_and_a_share_is_held_out():
    base = generate_logs(n=300, seed=3)
    picked = base.iloc[:40]
    examples = [_example(s, m, "Custom") for s, m in zip(picked["source"],
                                                          picked["log_message"], strict=True)]
    corrections = corrections_frame(examples)
    train, held_base, held_corr = split_data(base, corrections, LogTrainingArguments())
    overridden = set(picked["log_message"])
    assert (train[train["log_message"].isin(overridden)]["target_label"] == "Custom").all()
    # the held-out base rows are the gate's protected set: corrections cannot touch them
    _, protected, _ = split_data(base, corrections_frame([]), LogTrainingArguments())
    assert held_base.equals(protected) and (held_base["target_label"] != "Custom").all()
    assert 0 < len(held_corr) < 40 and (held_corr["target_label"] == "Custom").all()
    assert (train["target_label"] == "Custom").sum() == 40 - len(held_corr)
    assert corrections_frame(examples[:9])["heldout"].sum() == 0  # too few to hold out


def _retrain(client: TestClient) -> dict[str, Any]:
    return retrain_and_wait(client, LOG_MODEL, AUTH)


def _versions(client: TestClient) -> tuple[str, list[str]]:
    models = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
    entry = models[LOG_MODEL]
    return str(entry["active_version"]), [v["version"] for v in entry["versions"]]


@pytest.mark.slow
def test_log_corrections_retrain_promotes_and_poison_is_not_promoted(log_models: Path,
                                                                     tmp_path: Path):
    settings = make_settings(log_models, API_TOKEN=TOKEN, RATE_LIMIT="off", LOG_FORMAT="text",
                             WRITE_QUOTA="off",  # the poisoning below sends >60 corrections
                             DATABASE_URL=f"sqlite:///{tmp_path / 'feedback.db'}")
    with TestClient(create_app(settings, load_in_background=False)) as client:
        body = client.post("/v1/logs/classify", json={"logs": LOGS}).json()
        ids = body["prediction_ids"]
        assert len(ids) == 3
        for pid, label in zip(ids[:2], ("Critical Error", "Security Alert"), strict=True):
            r = client.post("/v1/feedback", headers=WRITER_HEADERS,
                            json={"prediction_id": pid, "verdict": "correct",
                                  "correct_label": label})
            assert r.status_code == 201, r.text
        r = client.post("/v1/feedback", headers=WRITER_HEADERS,
                        json={"prediction_id": ids[2], "verdict": "accept"})
        assert r.status_code == 201, r.text

        report = _retrain(client)
        assert report["promoted"] is True, report["reason"]
        assert (report["current_version"], report["candidate_version"]) == ("v1", "v2")
        assert report["corrections"] == 3 and report["heldout_corrections"] == 0
        cur, cand = report["current"]["accuracy"], report["candidate"]["accuracy"]
        assert isinstance(cur, float) and isinstance(cand, float) and cand >= cur - 0.01
        assert report["candidate"]["heldout"]["n"] == report["current"]["heldout"]["n"] > 50
        assert _versions(client)[0] == "v2"
        served = client.post("/v1/logs/classify", json={"logs": LOGS[:1]}).json()
        assert served["predictions"][0]["model_version"] == "v2"

        poison = generate_logs(n=300, seed=7)
        poison = poison[poison["target_label"].isin(SWAP)]
        for src, msg, label in zip(poison["source"], poison["log_message"],
                                   poison["target_label"], strict=True):
            r = client.post("/v1/feedback", headers=WRITER_HEADERS, json={
                "model": LOG_MODEL, "input": {"source": src, "log_message": msg},
                "predicted": label, "verdict": "correct", "correct_label": SWAP[label]})
            assert r.status_code == 201, r.text
        report = _retrain(client)
        assert report["promoted"] is False and report["candidate_version"] is None
        assert report["reason"].startswith("protected held-out base templates"), report["reason"]
        assert report["candidate"]["accuracy"] < report["current"]["accuracy"] - 0.01
        assert report["current_version"] == "v2"
        # issue 28: every correction is trained on and judged cross-validated by template;
        # the base rows they contradict left the protected figure, the rest still refused it
        decided = report["decided_by"]
        assert decided["team"]["folds"] >= 2 and decided["team"]["rows"] >= 10
        assert decided["protected"]["contradicted_rows_left_out"] > 0
        assert decided["protected"]["rows"] == report["candidate"]["heldout"]["n"]
        assert report["judged_on"]["key"].startswith("base-templates-uncontradicted:")
        assert report["current"]["corrections_accuracy"] is not None
        assert _versions(client) == ("v2", ["v1", "v2"])


def test_log_retrain_without_feedback_is_409(tiny_store: LocalModelStore, tmp_path: Path):
    settings = make_settings(tiny_store.root, API_TOKEN=TOKEN, RATE_LIMIT="off",
                             LOG_FORMAT="text", DATABASE_URL=f"sqlite:///{tmp_path / 'fb.db'}")
    with TestClient(create_app(settings, load_in_background=False)) as client:
        r = client.post(f"/v1/models/{LOG_MODEL}/retrain", headers=AUTH)
        assert r.status_code == 409 and "nothing new to learn" in r.json()["detail"]
        assert client.post(f"/v1/models/{LOG_MODEL}/retrain").status_code == 401


@pytest.mark.slow
def test_log_retrain_cli_reports_both_figures(monkeypatch: pytest.MonkeyPatch,
                                              log_models: Path, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'fb.db'}"
    FeedbackStore(url).add_feedback(
        "correct", model=LOG_MODEL, input=LOGS[0], input_key="k0", predicted="Error",
        correct_label="Critical Error")
    monkeypatch.setenv("MODELS_ROOT", str(log_models))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no .env from the project
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["retrain", "--model", LOG_MODEL])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "promoted as v2" in result.output
    figures = json.loads(result.stdout[result.stdout.index("{"):])
    assert figures["current"] == "v1" and figures["corrections"] == 1
    assert figures["candidate_accuracy"] >= figures["current_accuracy"] - 0.01
    assert (log_models / LOG_MODEL / "v2" / "report.md").is_file()
