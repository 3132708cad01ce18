"""One real API process for all UI tests (log + task models), and a URL where nothing
listens."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.core.config import PROJECT_ROOT
from tests.utils.processes import api_server, free_port

TASK_MODEL = "task-categorizer"


def models_root(tmp: Path) -> Path:
    """The repo's models, plus a small real task model when the repo has none yet."""
    root = tmp / "models"
    shutil.copytree(PROJECT_ROOT / "models", root)
    if not (root / TASK_MODEL).is_dir():
        env = {**os.environ, "MODELS_ROOT": str(root), "HF_HUB_OFFLINE": "1"}
        subprocess.run([sys.executable, "-m", "training", "train-tasks", "--rows", "250"],
                       cwd=PROJECT_ROOT, env=env, check=True, capture_output=True, timeout=300)
    return root


@pytest.fixture(scope="session")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("api")
    with api_server(tmp, models_root(tmp)) as url:
        yield url


@pytest.fixture
def live_api(api_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the UI (SIFT_API_URL) at the real API."""
    monkeypatch.setenv("SIFT_API_URL", api_url)
    return api_url


@pytest.fixture
def dead_api(monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the UI at a port with no server behind it."""
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("SIFT_API_URL", url)
    return url


@pytest.fixture
def small_logs_csv() -> bytes:
    path = Path(__file__).parent / "data" / "logs_small.csv"
    return path.read_bytes()
