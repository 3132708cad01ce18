"""Server processes for benchmarks and tests: a free port, start, wait until it answers, stop.

The one launcher of the project (tests/utils/processes.py builds on it). It lives in
bench, not backend or training, because it is development tooling: the service image
ships backend and training, and tests already import bench.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUIET = ("--log-level", "warning", "--timeout-keep-alive", "75")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(log: Path | None) -> str:
    return f":\n{log.read_text(errors='replace')[-3000:]}" if log else ""


def wait_until(url: str, proc: subprocess.Popen[bytes], timeout_s: float,
               log: Path | None = None) -> None:
    """Poll `url` until it answers 200; fail, with the end of `log` if there is one,
    when the process exits or stalls."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} process exited ({proc.returncode}){_tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        time.sleep(0.3)
    raise TimeoutError(f"{url} not ready after {timeout_s:.0f} s{_tail(log)}")


@contextlib.contextmanager
def running(cmd: Sequence[str], ready_url: str, log: Path | None = None,
            env: dict[str, str] | None = None, timeout_s: float = 180.0,
            cwd: Path = ROOT) -> Iterator[subprocess.Popen[bytes]]:
    """Start `cmd` in `cwd`, the project root by default (HF_HUB_OFFLINE=1, then `env`), its
    output to `log` or, without one, to ours; wait for `ready_url`; stop it afterwards."""
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(log.open("wb")) if log else None
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=full_env, stdout=out,
                                stderr=subprocess.STDOUT if out else None)
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


def api_command(port: int, *options: str) -> list[str]:
    """uvicorn serving the API on 127.0.0.1:`port`, with extra uvicorn `options`."""
    return [sys.executable, "-m", "uvicorn", "backend.api.main:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--no-proxy-headers", *options]


@contextlib.contextmanager
def api_server(env: dict[str, str] | None = None, timeout_s: float = 180.0,
               port: int | None = None) -> Iterator[str]:
    """Yield the base URL of a ready server; stop it afterwards."""
    with api_process(env, timeout_s, port) as (url, _):
        yield url


@contextlib.contextmanager
def api_process(env: dict[str, str] | None = None, timeout_s: float = 180.0,
                port: int | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Like `api_server`, also yielding the process (for memory sampling); warnings only
    and 75 s keep-alive, so logging and reconnects stay out of the measurements."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    with running(api_command(port, *QUIET), f"{url}/ready", env=env,
                 timeout_s=timeout_s) as proc:
        yield url, proc
