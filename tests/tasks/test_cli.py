"""`python -m training` task commands, run in-process (shares the session's MiniLM)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from backend.core.config import get_settings
from backend.feedback.store import FeedbackStore
from backend.tasks.text import input_key, task_text
from training.cli import app
from training.tasks.generator import generate_tasks


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, task_models: Path, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'fb.db'}"
    monkeypatch.setenv("MODELS_ROOT", str(task_models))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no .env from the project
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_generate_tasks_is_seeded_and_balanced(tmp_path: Path):
    out = tmp_path / "tasks.csv"
    result = CliRunner().invoke(app, ["generate-tasks", "--output", str(out), "--n", "200"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, keep_default_na=False)
    categories = ("Development", "Design", "Research", "Meeting", "Planning")
    assert frame["category"].value_counts().to_dict() == dict.fromkeys(categories, 40)
    assert frame["title"].str.strip().ne("").all()
    pd.testing.assert_frame_equal(frame, generate_tasks(200, 42).fillna(""),
                                  check_dtype=False)
    assert not generate_tasks(200, 7).equals(generate_tasks(200, 42))


def test_retrain_cli_promotes_with_a_correction_and_reports_both(cli_env: str,
                                                                 task_models: Path):
    title = "Order new office chairs for the team"
    FeedbackStore(cli_env).add_feedback(
        "correct", model="task-categorizer", input={"title": title}, predicted="Design",
        input_key=input_key(task_text(title)), correct_label="Planning")
    result = CliRunner().invoke(app, ["retrain", "--model", "task-categorizer"])
    assert result.exit_code == 0, result.output
    assert "promoted as v2" in result.output
    figures = json.loads(result.stdout[result.stdout.index("{"):])
    assert figures["current"] == "v1" and figures["corrections"] == 1
    assert figures["candidate_accuracy"] >= figures["current_accuracy"] - 0.01
    assert (task_models / "task-categorizer" / "v2" / "manifest.json").is_file()


def test_retrain_cli_names_what_it_cannot_retrain(cli_env: str):
    result = CliRunner().invoke(app, ["retrain", "--model", "step-tagger"])
    assert result.exit_code == 2
    assert "gated retraining" in result.output and "--model" in result.output
