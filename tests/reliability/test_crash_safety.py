"""`kill -9` in the middle of writes: the registry stays loadable, the feedback DB intact."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backend.core.config import PROJECT_ROOT
from backend.registry.local import LocalModelStore

KILL_AFTER_S = (0.3, 0.8, 1.7)


def _start(mode: str, target: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.reliability.crash_writer", mode, target],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, text=True)


def _kill_after(proc: subprocess.Popen[str], seconds: float) -> list[str]:
    """SIGKILL `seconds` after the child's first acknowledged write; its acknowledgements."""
    assert proc.stdout is not None
    first = proc.stdout.readline()  # blocks through imports and start-up
    assert first, "the writer died before its first write"
    time.sleep(seconds)
    os.kill(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return [first.strip(), *out.split()]


@pytest.mark.slow
def test_registry_survives_kill_during_publish(tmp_path: Path) -> None:
    root = tmp_path / "models"
    for delay in KILL_AFTER_S:
        acknowledged = _kill_after(_start("registry", str(root)), delay)
        store = LocalModelStore(root)
        versions = store.versions("crashy")
        assert len(versions) >= len(acknowledged)  # every finished publish is there
        for version in versions:  # and every listed version is complete and verified
            folder, manifest = store.open("crashy", version)
            assert manifest.version == version and (folder / "part3.bin").stat().st_size
        assert store.names() in ([], ["crashy"])
    leftovers = [p.name for p in (root / "crashy").iterdir() if p.name.startswith(".staging-")]
    store = LocalModelStore(root)
    assert all(not name.startswith("v") for name in leftovers)
    assert store.resolve("crashy") == store.versions("crashy")[-1]
    # and the next publish after the crashes still works, numbering on from the last
    before = len(store.versions("crashy"))
    with store.staging("crashy") as staged:
        (staged / "x.bin").write_bytes(b"x")
        from backend.registry.manifest import Manifest
        store.publish(staged, Manifest(name="crashy", kind="log-classifier", labels=["a"]))
    assert len(store.versions("crashy")) == before + 1


@pytest.mark.slow
def test_feedback_db_survives_killed_writer(tmp_path: Path) -> None:
    from backend.feedback.store import FeedbackStore, PredictionRecord

    db = tmp_path / "feedback.db"
    url = f"sqlite:///{db}"
    acknowledged = 0
    for delay in KILL_AFTER_S:
        out = _kill_after(_start("feedback", url), delay)
        acknowledged = int(out[-1]) if out else acknowledged
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert acknowledged > 0, "the writer never committed; raise the kill delays"
    store = FeedbackStore(url)
    n_predictions, _ = store.counts()
    assert n_predictions >= acknowledged  # every acknowledged commit survived the kills
    assert n_predictions % 50 == 0  # and no batch is half-written
    store.record_predictions("log-classifier", "v1",
                             [PredictionRecord({"log_message": "after"}, "k", "Error", 0.5)])
    assert store.counts()[0] == n_predictions + 1
    store.close()
