"""Step feedback -> gated retrain: corrections merged, both versions scored on the same
held-out sessions, the candidate published only when the gate allows it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from backend.embedding.embedder import Embedder
from backend.feedback.store import LabelledExample
from backend.registry.local import LocalModelStore
from backend.sessions.feedback import event_key, event_rows
from backend.sessions.predictor import StepPredictor
from tests.sessions.conftest import tiny_config
from training.steps.pipeline import train_steps
from training.steps.retrain import retrain_steps

pytestmark = pytest.mark.slow


@pytest.fixture
def store(tmp_path: Path, events: pd.DataFrame, embedder: Embedder) -> LocalModelStore:
    data = tmp_path / "steps.csv"
    events.to_csv(data, index=False)
    store = LocalModelStore(tmp_path / "models")
    train_steps(data, tiny_config(), embedder, store, "steps-a", progress=False)
    return store


def corrections(store: LocalModelStore, embedder: Embedder, fresh: pd.DataFrame,
                relabel: str | None = None) -> list[LabelledExample]:
    """What POST /v1/feedback stores for corrected session predictions: each event's row
    (the model's columns) with the right step."""
    folder, manifest = store.open("steps-a")
    predictor = StepPredictor.from_pretrained(folder, embedder, manifest.version)
    rows = event_rows(predictor, predictor.align(fresh.drop(columns=["step_name"])))
    labels = [relabel or step for step in fresh["step_name"]]
    return [LabelledExample(row, event_key(row), label, "correct")
            for row, label in zip(rows, labels, strict=True)]


def test_retrain_merges_corrections_and_promotes_when_not_worse(
        store: LocalModelStore, embedder: Embedder, events: pd.DataFrame) -> None:
    from training.steps.generator import generate_sessions

    fresh = generate_sessions(3, seed=99).head(60)
    examples = corrections(store, embedder, fresh)
    report = retrain_steps(store, "steps-a", embedder, examples, tolerance=1.0)
    assert report.promoted and report.candidate_version == "v2"
    assert report.corrections == 60 and 0 < report.heldout_corrections < 60
    for side in (report.current, report.candidate):  # the same held-out sessions for both
        assert 0.0 <= side["accuracy"] <= 1.0 and side["corrections_accuracy"] is not None
    manifest = store.manifest("steps-a", "v2")
    assert manifest.params["retrained_from"] == "v1" and manifest.params["data"]


def test_gate_refuses_a_candidate_that_must_be_better_than_possible(
        store: LocalModelStore, embedder: Embedder) -> None:
    from training.steps.generator import generate_sessions

    fresh = generate_sessions(2, seed=5).head(30)
    report = retrain_steps(store, "steps-a", embedder,
                           corrections(store, embedder, fresh, relabel="Brand new step"),
                           tolerance=-1.0)  # demands +100 points: can never pass
    assert not report.promoted and "accuracy" in report.reason
    assert report.new_labels == ["Brand new step"]
    assert store.versions("steps-a") == ["v1"]  # nothing published
