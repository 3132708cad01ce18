"""The layers hold: serving never imports training or the UI (checked statically by the
import contract, and at run time in a fresh API process), and one `sift` CLI serves all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from backend.core.config import PROJECT_ROOT

BIN = Path(sys.executable).parent


def test_import_contracts_hold():
    proc = subprocess.run([str(BIN / "lint-imports")], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "4 kept, 0 broken" in proc.stdout  # incl. the layers inside backend


def test_the_api_process_loads_no_training_or_ui_code():
    code = ("import sys; from backend.api.main import create_app; "
            "import backend.api.retraining, backend.feedback.retrain_job; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('training', 'frontend'));"
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]


def test_one_sift_command_serves_and_trains():
    sift = subprocess.run([str(BIN / "sift"), "--help"], capture_output=True, text=True,
                          timeout=300)
    module = subprocess.run([sys.executable, "-m", "training", "--help"], capture_output=True,
                            text=True, timeout=300)
    assert sift.returncode == module.returncode == 0, sift.stderr + module.stderr
    for command in ("serve", "settings-table", "classify-file", "train-logs", "retrain",
                    "train-steps", "publish"):
        assert f" {command} " in sift.stdout and f" {command} " in module.stdout, command
