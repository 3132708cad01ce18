"""Start the real API in a uvicorn subprocess for benchmarks (and tests that need a process)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def api_server(env: dict[str, str] | None = None, timeout_s: float = 180.0,
               port: int | None = None) -> Iterator[str]:
    """Yield the base URL of a ready server; stop it afterwards."""
    with api_process(env, timeout_s, port) as (url, _):
        yield url


@contextlib.contextmanager
def api_process(env: dict[str, str] | None = None, timeout_s: float = 180.0,
                port: int | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Like `api_server`, also yielding the process (for memory sampling)."""
    port = port or free_port()
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "backend.api.main:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--timeout-keep-alive", "75"],
        cwd=ROOT, env=full_env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"API server exited with code {proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError("API server did not become ready")
            time.sleep(0.3)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
