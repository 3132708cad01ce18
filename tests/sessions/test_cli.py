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
