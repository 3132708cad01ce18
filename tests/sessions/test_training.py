"""Training end to end on small data: CLI-level pipeline, registry publish, report, HPO."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from backend.embedding.embedder import Embedder
from backend.registry.local import LocalModelStore
from backend.sessions.config import ConfigError, load_config, parse_config
from backend.sessions.predictor import StepPredictor
from tests.sessions.conftest import tiny_config
from training.steps.data import Splits, split_sessions
from training.steps.generator import generate_sessions
from training.steps.hpo import run_hpo
from training.steps.pipeline import train_steps
from training.steps.trainer import StepTrainer


def test_generator_is_seeded_and_realistic() -> None:
    a, b = generate_sessions(30, seed=5), generate_sessions(30, seed=5)
    pd.testing.assert_frame_equal(a, b)
    lengths = a.groupby("session_id").size()
    assert lengths.between(5, 200).all()
    assert 8 <= a["step_name"].nunique() <= 20
    shared = a.groupby("event_name")["step_name"].nunique()
    assert (shared > 3).any()  # generic events occur in many steps


def test_config_errors_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"model": {"type": "cnn", "d_model": 130}, "training": {"lr": -1}})
    text = str(err.value)
    assert "model.type" in text and "training.lr" in text
    with pytest.raises(ConfigError, match="model.heads"):
        parse_config({"model": {"heads": 4}})
    assert load_config(Path("configs/steps.yaml")).model.lstm_hidden == 96


@pytest.mark.parametrize(("kind", "fusion"), [("transformer", "concat"), ("bilstm", "concat")])
def test_other_model_and_fusion_train(splits: Splits, embedder: Embedder, kind: str,
                                      fusion: str) -> None:
    result = StepTrainer(tiny_config(type=kind, fusion=fusion), embedder,
                         progress=False).fit(splits)
    assert result.history and 0.0 <= result.best_val_macro_f1 <= 1.0


def test_training_is_deterministic(splits: Splits, embedder: Embedder,
                                   predictor: StepPredictor, events: pd.DataFrame) -> None:
    again = StepTrainer(tiny_config(), embedder, progress=False).fit(splits).predictor
    sample = events.head(100)
    assert (again.predict_proba(sample) == predictor.predict_proba(sample)).all()


def test_train_steps_publishes_model_and_report(tmp_path: Path, events: pd.DataFrame,
                                                embedder: Embedder) -> None:
    data = tmp_path / "steps.csv"
    events.to_csv(data, index=False)
    store = LocalModelStore(tmp_path / "models")
    outcome = train_steps(data, tiny_config(), embedder, store, progress=False)
    folder, manifest = store.open("step-tagger")
    assert manifest.version == "v1" and manifest.data_hash.startswith("sha256:")
    assert {"macro_f1", "coverage_at_threshold", "accuracy_at_threshold"} <= set(manifest.metrics)
    for name in ("model.safetensors", "featurizer.json", "report.json", "report.md",
                 "coverage_accuracy.png", "config.yaml"):
        assert (folder / name).is_file(), name
    report = json.loads((folder / "report.json").read_text())
    assert report["events"] == outcome.report["events"] > 0
    assert "top_confusions" in report and report["curve"]


def test_hpo_runs_end_to_end(tmp_path: Path, splits: Splits, embedder: Embedder) -> None:
    out = tmp_path / "best.yaml"
    result = run_hpo(splits, tiny_config(), embedder, trials=2, output=out)
    assert result.trials == 2 and 0.0 <= result.best_value <= 1.0
    assert load_config(out).model.fusion == result.best_params["fusion"]


def test_bring_your_own_log_columns(events: pd.DataFrame) -> None:
    """A process-mining style CSV trains by configuration alone (no text, other names)."""
    log = events.rename(columns={"session_id": "case_id", "timestamp": "ts",
                                 "event_name": "activity_detail", "target_app": "resource",
                                 "step_name": "activity"})
    base = tiny_config().model_dump()
    base["columns"] = {"session": "case_id", "timestamp": "ts", "event": "activity_detail",
                       "label": "activity", "categorical": ["resource"], "numeric": [],
                       "text": []}
    config = parse_config(base)
    predictor = StepTrainer(config, None, progress=False).fit(split_sessions(log, config)).predictor
    result = predictor.predict(log.head(50).drop(columns=["activity"]))
    assert len(result.frame) == 50 and predictor.columns[:3] == ["case_id", "ts",
                                                                  "activity_detail"]


def test_screenshots_feed_the_image_encoder(tmp_path: Path, embedder: Embedder) -> None:
    log = generate_sessions(12, seed=3, image_dir=tmp_path / "shots")
    assert (tmp_path / "shots").is_dir() and log["screenshot_path"].str.endswith(".png").all()
    base = tiny_config().model_dump()
    base["columns"]["image"] = "screenshot_path"
    config = parse_config(base)
    predictor = StepTrainer(config, embedder, progress=False).fit(
        split_sessions(log, config)).predictor
    assert predictor.featurizer.image is not None and predictor.featurizer.image.dim >= 1
    probe = log.head(20).drop(columns=["step_name"])
    probe.loc[:4, "screenshot_path"] = str(tmp_path / "missing.png")  # lost file: zeros
    assert len(predictor.predict(probe).frame) == 20
