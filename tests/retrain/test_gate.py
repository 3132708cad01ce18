"""The promotion gate (one decision for every retrain) and the retrain job's pipe."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from backend.feedback.retrain_job import decode_request, encode_request, retrain_command
from backend.feedback.store import LabelledExample
from backend.registry.gate import HOLDOUT_MIN_CORRECTIONS, decide, is_heldout, worse
from tests.utils.factories import make_settings


def test_candidate_worse_on_either_figure_is_refused_and_equal_is_promoted():
    current = {"accuracy": 0.90, "corrections_accuracy": 0.80}
    assert decide({"accuracy": 0.885, "corrections_accuracy": 0.80}, current, "v3", 0.01) == (
        False, "protected held-out base accuracy 0.8850 < current 0.9000 - tolerance 0.01")
    promote, why = decide({"accuracy": 0.95, "corrections_accuracy": 0.7}, current, "v3", 0.01)
    assert not promote and why.startswith("held-out corrections accuracy 0.7000")
    assert decide({"accuracy": 0.891, "corrections_accuracy": 0.80}, current, "v3", 0.01) == (
        True, "candidate not worse than v3 (tolerance 0.01)")
    assert decide({"accuracy": 0.1}, {}, None, 0.01) == (True, "no current version")
    assert worse({"accuracy": 0.5, "corrections_accuracy": None}, current, 0.01)
    assert not worse({"accuracy": 0.95, "corrections_accuracy": None}, current, 0.01)


def test_a_fifth_of_corrections_is_held_out_once_there_are_enough():
    keys = [f"{i:08x}" for i in range(1000)]
    assert not any(is_heldout(k, HOLDOUT_MIN_CORRECTIONS - 1) for k in keys)
    assert sum(is_heldout(k, HOLDOUT_MIN_CORRECTIONS) for k in keys) == 200


def test_the_child_gets_the_services_settings_and_feedback_exactly(tmp_path: Path,
                                                                  monkeypatch):
    monkeypatch.setenv("TASK_TRAIN_ROWS", "9999")  # the environment must not override
    settings = make_settings(tmp_path, API_TOKEN="admin-token-0123456789abcdef",
                             WRITER_TOKENS={"ops": "writer-token-0123456789abcdef"},
                             TASK_TRAIN_ROWS=123, HF_NAMESPACE="acme")
    examples = [LabelledExample({"title": "Plan Q3", "description": ""}, "ab12", "Planning",
                                "correct")]
    child, got = decode_request(encode_request(settings, examples))
    assert child == settings and got == examples
    assert isinstance(child.API_TOKEN, SecretStr)
    assert child.WRITER_TOKENS["ops"].get_secret_value() == "writer-token-0123456789abcdef"
    cmd = retrain_command("task-categorizer", 300, None, "v2")
    assert cmd[1:] == ["-m", "training", "retrain", "--model", "task-categorizer",
                       "--from-stdin", "--json", "--rows", "300", "--current-version", "v2"]
