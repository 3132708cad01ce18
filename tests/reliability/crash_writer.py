"""Child process for crash tests: writes in a loop until the parent kills it with SIGKILL.

`registry ROOT`: publishes versions with multi-megabyte files (most of the time is
spent inside staging and publish, where a kill hurts most).
`feedback URL`: records batches of predictions; prints each committed total, so the
parent knows what must survive.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from backend.registry.local import LocalModelStore
from backend.registry.manifest import Manifest


def write_registry(root: Path) -> None:
    store = LocalModelStore(root)
    n = 0
    while True:
        with store.staging("crashy") as staged:
            for i in range(4):
                (staged / f"part{i}.bin").write_bytes(os.urandom(2 << 20))
            (staged / "config.json").write_text(json.dumps({"n": n}))
            manifest = Manifest(name="crashy", kind="log-classifier", labels=["a", "b"])
            store.publish(staged, manifest)
        n += 1
        sys.stdout.write(f"{n}\n")
        sys.stdout.flush()


def write_feedback(url: str) -> None:
    from backend.feedback.store import FeedbackStore, PredictionRecord

    store = FeedbackStore(url)
    total = 0
    while True:
        batch = [PredictionRecord({"log_message": f"line {total + i}"}, f"k{total + i}",
                                  "Error", 0.9) for i in range(50)]
        store.record_predictions("log-classifier", "v1", batch)
        total += len(batch)
        sys.stdout.write(f"{total}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    mode, target = sys.argv[1], sys.argv[2]
    if mode == "registry":
        write_registry(Path(target))
    else:
        write_feedback(target)
