"""Trainers warn plainly, before publishing, when a model is weak (issue 29)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from backend.core.config import PROJECT_ROOT
from training.logs.generator import generate_logs
from training.quality import majority_baseline, quality_warnings


def test_majority_baseline_is_the_most_common_training_label():
    assert majority_baseline(["a", "b", "b"], ["b", "a", "b", "b"]) == ("b", 0.75)


def test_no_warning_for_a_good_model_and_two_for_a_weak_one():
    assert quality_warnings(0.95, 0.9, "a", 0.4) == []
    weak = quality_warnings(0.42, 0.09, "a", 0.40)
    assert len(weak) == 2
    assert weak[0].startswith("low coverage: ") and "9.0%" in weak[0]
    assert weak[1].startswith("low accuracy: ") and "0.400" in weak[1]


@pytest.mark.slow
def test_train_logs_on_shuffled_labels_warns_before_publishing(tmp_path: Path):
    """Labels shuffled across rows: nothing to learn, so coverage at the threshold drops
    below 0.5; training logs it before publishing, the CLI repeats it, report.md keeps it."""
    frame = generate_logs(n=400, seed=3)
    frame["target_label"] = np.random.default_rng(0).permutation(frame["target_label"])
    data = tmp_path / "shuffled.csv"
    frame[["source", "log_message", "target_label"]].to_csv(data, index=False)
    env = {**os.environ, "MODELS_ROOT": str(tmp_path / "models"), "HF_HUB_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}
    run = subprocess.run([sys.executable, "-m", "training", "train-logs", "--data", str(data),
                          "--no-cascade", "--name", "shuffled", "--c", "4"], cwd=PROJECT_ROOT,
                         env=env, capture_output=True, text=True, timeout=600, check=True)
    folder = tmp_path / "models" / "shuffled" / "v1"
    report = json.loads((folder / "report.json").read_text())
    assert report["coverage_at_threshold"] < 0.5
    assert any(w.startswith("low coverage") for w in report["warnings"])
    assert "shuffled: low coverage" in run.stderr  # logged by train_logs before publish
    assert "warning: low coverage" in run.stderr  # and repeated under the CLI's summary
    assert "published shuffled v1" in run.stdout
    assert "## Warnings" in (folder / "report.md").read_text()
    assert json.loads((folder / "manifest.json").read_text())["params"]["C"] == 4.0  # --c pins C
