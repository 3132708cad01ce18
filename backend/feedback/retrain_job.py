"""Retraining as a child process: the API never imports the training code.

The API's job runs `python -m training retrain --from-stdin --json` and waits
for it. The child gets the service's exact settings and a snapshot of the
labelled feedback on stdin (secrets never touch the disk or the command line),
trains, applies the promotion gate (`backend.registry.gate`), publishes through
the store the service is configured with (the Hub mirror included), prints its
report as one JSON line and exits, so the memory of generators, training data
and optimisers is returned to the system when the job ends.
"""

from __future__ import annotations

import atexit
import json
import logging
import subprocess
import sys
import threading
from dataclasses import asdict
from typing import Any

from pydantic import SecretStr

from backend.core.config import Settings
from backend.feedback.store import LabelledExample

logger = logging.getLogger(__name__)

RETRAIN_TIMEOUT_S = 3600.0  # a retrain on 2 cores takes minutes; an hour means it is stuck
STDERR_TAIL = 2000  # characters of the child's log kept in a failed job's error
_children: set[subprocess.Popen[str]] = set()
_children_lock = threading.Lock()


class RetrainFailedError(RuntimeError):
    """The retrain process failed; the message carries the end of its log."""


def _reveal(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_reveal(v) for v in value]
    return value


def settings_payload(settings: Settings) -> dict[str, Any]:
    """The settings as plain JSON values, secrets included (sent over a pipe only)."""
    values: dict[str, Any] = json.loads(json.dumps(_reveal(settings.model_dump()), default=str))
    return values


def encode_request(settings: Settings, examples: list[LabelledExample]) -> str:
    """What the parent writes to the child's stdin."""
    return json.dumps({"settings": settings_payload(settings),
                       "examples": [asdict(e) for e in examples]})


def decode_request(text: str) -> tuple[Settings, list[LabelledExample]]:
    """The child's side of `encode_request`: settings exactly as the service's (no `.env`
    and no environment variable overrides them) and the feedback snapshot."""
    data = json.loads(text)
    settings = Settings(_env_file=None, **data["settings"])  # type: ignore[call-arg]
    return settings, [LabelledExample(**e) for e in data["examples"]]


def retrain_command(name: str, rows: int | None, seed: int | None,
                    current_version: str | None) -> list[str]:
    cmd = [sys.executable, "-m", "training", "retrain", "--model", name, "--from-stdin",
           "--json"]
    if rows is not None:
        cmd += ["--rows", str(rows)]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    if current_version:
        cmd += ["--current-version", current_version]
    return cmd


def run_retrain_process(settings: Settings, name: str, examples: list[LabelledExample], *,
                        rows: int | None = None, seed: int | None = None,
                        current_version: str | None = None,
                        timeout_s: float = RETRAIN_TIMEOUT_S) -> dict[str, Any]:
    """Run one retrain in a child process and return its report (a `RetrainReport` dict)."""
    proc = subprocess.Popen(retrain_command(name, rows, seed, current_version),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    with _children_lock:
        _children.add(proc)
    try:
        out, err = proc.communicate(encode_request(settings, examples), timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise RetrainFailedError(f"retrain of {name} took longer than {timeout_s:.0f} s and "
                                 f"was stopped; its log ends: {err[-STDERR_TAIL:]}") from None
    finally:
        with _children_lock:
            _children.discard(proc)
    if proc.returncode != 0:
        raise RetrainFailedError(f"retrain of {name} exited with {proc.returncode}; its log "
                                 f"ends: {err[-STDERR_TAIL:]}")
    lines = out.strip().splitlines()
    try:
        report: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError) as exc:
        raise RetrainFailedError(f"retrain of {name} printed no report; its log ends: "
                                 f"{err[-STDERR_TAIL:]}") from exc
    return report


@atexit.register
def _stop_children() -> None:
    """A server that exits stops the retrains it started (no orphaned trainers)."""
    with _children_lock:
        running = list(_children)
    for proc in running:
        if proc.poll() is None:
            proc.terminate()
