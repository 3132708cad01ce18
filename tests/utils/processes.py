"""Real server processes for tests (the API, the UI) through bench.server's launcher,
and the models they serve."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from backend.core.config import PROJECT_ROOT
from bench.server import api_command, free_port, running
from tests.utils.auth import WRITER_TOKEN, writer_env

TEST_ENV = {"TOKENIZERS_PARALLELISM": "false"}
TASK_MODEL = "task-categorizer"
STEP_MODEL = "step-tagger"


def _train(root: Path, *args: str) -> None:
    env = {**os.environ, "MODELS_ROOT": str(root), "HF_HUB_OFFLINE": "1"}
    subprocess.run([sys.executable, "-m", "training", *args], cwd=PROJECT_ROOT, env=env,
                   check=True, capture_output=True, timeout=300)


EVENTLOG_MODEL = "bpi-2013"  # a second step model, trained on a real log with its own columns


def add_eventlog_model(root: Path, tmp: Path, cases: int = 300) -> None:
    """Train EVENTLOG_MODEL on the first cases of the real BPI 2013 log by flags only (eight
    epochs, ~0.3 s each: enough that its process views show steps, not only abstentions),
    so the UI can pick between two step models."""
    import pandas as pd

    from tests.utils.data import shared_file

    log = pd.read_csv(shared_file("eventlogs/BPI2013_closed.csv"), dtype=str)
    keep = log["case:concept:name"].drop_duplicates().head(cases)
    data = tmp / "bpi2013_small.csv"
    log[log["case:concept:name"].isin(keep)].to_csv(data, index=False)
    _train(root, "train-steps", "--data", str(data), "--name", EVENTLOG_MODEL,
           "--config", str(PROJECT_ROOT / "configs" / "steps-eventlog.yaml"),
           "--case-column", "case:concept:name", "--timestamp-column", "time:timestamp",
           "--event-column", "org:resource", "--label-column", "concept:name",
           "--categorical", "org:group,impact", "--epochs", "8")


def models_root(tmp: Path) -> Path:
    """A copy of the repo's models, plus small real task and step models for any the repo
    does not have yet (trained in seconds, not for accuracy)."""
    root = tmp / "models"
    shutil.copytree(PROJECT_ROOT / "models", root)
    if not (root / TASK_MODEL).is_dir():
        _train(root, "train-tasks", "--rows", "250")
    if not (root / STEP_MODEL).is_dir():
        events = tmp / "steps.csv"
        _train(root, "generate-steps", "--output", str(events), "--sessions", "60")
        _train(root, "train-steps", "--data", str(events), "--epochs", "2")
    return root


@contextmanager
def api_server(log_dir: Path, models_root: Path = PROJECT_ROOT / "models",
               env: dict[str, str] | None = None) -> Iterator[str]:
    """A real uvicorn process serving the API; yields its base URL once /ready says so.

    Its feedback database is a fresh SQLite file in `log_dir`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    base_env = {"MODELS_ROOT": str(models_root), **writer_env(),
                "DATABASE_URL": f"sqlite:///{log_dir / f'feedback-{port}.db'}"}
    with running(api_command(port), f"{url}/ready", log_dir / f"api-{port}.log",
                 {**TEST_ENV, **base_env, **(env or {})}):
        yield url


@contextmanager
def ui_server(log_dir: Path, api_url: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`streamlit run frontend/app.py` headless on a free port, talking to `api_url`
    (with the test writer key, or what `env` sets, e.g. SIFT_API_TOKEN)."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "frontend" / "app.py"),
           "--server.headless", "true", "--server.port", str(port), "--server.address",
           "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--client.toolbarMode", "viewer"]
    url = f"http://127.0.0.1:{port}"
    with running(cmd, f"{url}/_stcore/health", log_dir / f"ui-{port}.log",
                 {**TEST_ENV, "SIFT_API_URL": api_url, "SIFT_WRITER_TOKEN": WRITER_TOKEN,
                  **(env or {})},
                 timeout_s=90.0):
        yield url
