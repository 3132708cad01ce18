"""`python -m training` step commands in-process: generate, train (transformer/gated), predict."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from backend.core.config import get_settings
from backend.sessions.config import dump_config
from tests.sessions.conftest import tiny_config
from training.cli import app


@pytest.fixture
def models_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "models"
    monkeypatch.setenv("MODELS_ROOT", str(root))
    monkeypatch.chdir(tmp_path)  # no .env from the project
    get_settings.cache_clear()
    yield root
    get_settings.cache_clear()


def test_generate_train_predict_from_the_cli(models_root: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    data, config = tmp_path / "steps.csv", tmp_path / "steps.yaml"
    dump_config(tiny_config(), config)
    result = runner.invoke(app, ["generate-steps", "--output", str(data), "--sessions", "30"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["train-steps", "--data", str(data), "--config", str(config),
                                 "--model-type", "transformer", "--fusion", "gated"])
    assert result.exit_code == 0, result.output
    assert "published step-tagger v1 (transformer/gated)" in result.output
    assert (models_root / "step-tagger" / "v1" / "report.md").is_file()
    raw = tmp_path / "raw.csv"
    pd.read_csv(data).drop(columns=["step_name"]).head(80).to_csv(raw, index=False)
    out = tmp_path / "pred.csv"
    result = runner.invoke(app, ["predict-steps", "--input", str(raw), "--output", str(out)])
    assert result.exit_code == 0, result.output
    tagged = pd.read_csv(out)
    assert len(tagged) == 80 and {"step_name", "confidence", "abstained"} <= set(tagged.columns)


def test_bad_config_is_reported_with_the_field(models_root: Path, tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("model:\n  type: cnn\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["train-steps", "--config", str(config)])
    assert result.exit_code != 0 and "model.type" in result.output


def test_report_flags_a_support_one_class_and_prints_the_baselines(models_root: Path,
                                                                    tmp_path: Path) -> None:
    """One held-out event gets a step of its own: the report flags it (support 1), gives
    macro-F1 without it, the majority / position / event baselines and the case split."""
    from training.steps.data import split_sessions
    from training.steps.generator import generate_sessions

    config = tiny_config()
    frame = generate_sessions(30, seed=5)
    test_session = split_sessions(frame, config).test.frame["session_id"].iloc[0]
    frame.loc[frame.index[frame["session_id"] == test_session][3], "step_name"] = "Rare step"
    data, path = tmp_path / "steps.csv", tmp_path / "steps.yaml"
    frame.to_csv(data, index=False)
    dump_config(config, path)
    result = CliRunner().invoke(app, ["train-steps", "--data", str(data), "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "baselines on the same test events: majority accuracy" in result.output
    assert "position accuracy" in result.output and "event accuracy" in result.output
    assert "Rare step (1)" in result.output
    report = (models_root / "step-tagger" / "v1" / "report.md").read_text()
    assert "Rare step (1)" in report and "## Baselines (same test cases)" in report
    assert "## Case split" in report
    import json

    figures = json.loads((models_root / "step-tagger" / "v1" / "report.json").read_text())
    assert {"step": "Rare step", "support": 1} in figures["support"]["low_support"]
    split = figures["split"]
    assert sum(p["cases"] for p in split.values()) == 30
    assert split["test"]["events"] == figures["events"]
    majority = figures["baselines"]["majority"]
    truth = frame[frame["session_id"].isin(split_sessions(frame, config).test.frame[
        "session_id"])]["step_name"]
    assert majority["accuracy"] == round(float((truth == majority["step"]).mean()), 4)
    supported = [m["f1-score"] for m in figures["per_class"].values() if m["support"] >= 5]
    assert figures["support"]["macro_f1_supported"] == round(sum(supported) / len(supported), 4)
