"""Real server processes for tests: free ports, start, wait until they answer, stop."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from backend.core.config import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(url: str, proc: subprocess.Popen[bytes], timeout_s: float, log: Path) -> None:
    """Poll `url` until it answers 200; fail with the process log if it dies or stalls."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} process exited ({proc.returncode}):\n"
                               f"{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} not ready after {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


@contextmanager
def running(cmd: Sequence[str], ready_url: str, log: Path, env: dict[str, str] | None = None,
            timeout_s: float = 180.0) -> Iterator[subprocess.Popen[bytes]]:
    """Start `cmd` in the project root, wait for `ready_url`, stop it afterwards."""
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                **(env or {})}
    with log.open("wb") as out:
        proc = subprocess.Popen(list(cmd), cwd=PROJECT_ROOT, env=full_env, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            wait_until(ready_url, proc, timeout_s, log)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


TASK_MODEL = "task-categorizer"
STEP_MODEL = "step-tagger"


def _train(root: Path, *args: str) -> None:
    env = {**os.environ, "MODELS_ROOT": str(root), "HF_HUB_OFFLINE": "1"}
    subprocess.run([sys.executable, "-m", "training", *args], cwd=PROJECT_ROOT, env=env,
                   check=True, capture_output=True, timeout=300)


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


def api_command(port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "backend.api.main:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port)]


@contextmanager
def api_server(log_dir: Path, models_root: Path = PROJECT_ROOT / "models",
               env: dict[str, str] | None = None) -> Iterator[str]:
    """A real uvicorn process serving the API; yields its base URL once /ready says so.

    Its feedback database is a fresh SQLite file in `log_dir`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    base_env = {"MODELS_ROOT": str(models_root),
                "DATABASE_URL": f"sqlite:///{log_dir / f'feedback-{port}.db'}"}
    with running(api_command(port), f"{url}/ready", log_dir / f"api-{port}.log",
                 {**base_env, **(env or {})}):
        yield url


@contextmanager
def ui_server(log_dir: Path, api_url: str) -> Iterator[str]:
    """`streamlit run frontend/app.py` headless on a free port, talking to `api_url`."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "frontend" / "app.py"),
           "--server.headless", "true", "--server.port", str(port), "--server.address",
           "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--client.toolbarMode", "viewer"]
    url = f"http://127.0.0.1:{port}"
    with running(cmd, f"{url}/_stcore/health", log_dir / f"ui-{port}.log",
                 {"SIFT_API_URL": api_url}, timeout_s=90.0):
        yield url
