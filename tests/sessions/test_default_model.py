"""The shipped default model: intact, meets the targets, and tags fresh sessions well."""

from __future__ import annotations

import pytest

from backend.embedding.embedder import Embedder
from backend.registry.local import LocalModelStore
from backend.sessions.predictor import StepPredictor
from tests.utils.factories import REPO_MODELS
from training.steps.generator import generate_sessions


@pytest.fixture(scope="module")
def shipped(embedder: Embedder) -> tuple[StepPredictor, dict[str, float]]:
    store = LocalModelStore(REPO_MODELS)
    if not store.versions("step-tagger"):
        pytest.skip("no default step tagger in models/")
    folder, manifest = store.open("step-tagger")  # verifies every sha256
    return StepPredictor.from_pretrained(folder, embedder, manifest.version), manifest.metrics


def test_manifest_metrics_meet_targets(shipped: tuple[StepPredictor, dict[str, float]]) -> None:
    _, metrics = shipped
    assert metrics["macro_f1"] >= 0.93
    assert metrics["coverage_at_threshold"] >= 0.85
    assert metrics["accuracy_at_threshold"] >= 0.97


def test_tags_unseen_seed_sessions(shipped: tuple[StepPredictor, dict[str, float]]) -> None:
    predictor, _ = shipped
    fresh = generate_sessions(25, seed=31337)
    result = predictor.predict(fresh.drop(columns=["step_name"]))
    covered = ~result.frame["abstained"]
    assert covered.mean() >= 0.85
    hits = result.frame["step_name"][covered] == fresh["step_name"][covered]
    assert hits.mean() >= 0.97
