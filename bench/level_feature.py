"""What the stated level changes: train-logs with and without `--level-column` on Loghub.

Data the project did not make: the five Loghub samples (../shared/data/loghub),
message = Loghub's `Content`, label = bench/data/loghub_ops_convention.csv (one
label per Loghub event id), level = the sample's own `Level` field where it states
one (HDFS: INFO/WARN, Apache: notice/error; Linux's "Level" is the host name and
is ignored, OpenSSH and Thunderbird state none). Both runs split by event id with
the same seed (held-out templates), MiniLM head without the cascade, into a
temporary registry. Prints one JSON line with both runs' held-out figures.
Usage: python bench/level_feature.py [--seed N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
LOGHUB = ROOT.parent / "shared" / "data" / "loghub"
LABELS = ROOT / "bench" / "data" / "loghub_ops_convention.csv"
SYSTEMS = ("HDFS", "Apache", "Linux", "OpenSSH", "Thunderbird")
FIGURES = ("accuracy", "macro_f1", "coverage_at_threshold", "accuracy_at_threshold")


def loghub_frame() -> pd.DataFrame:
    labels = pd.read_csv(LABELS, dtype=str)
    parts = []
    for system in SYSTEMS:
        frame = pd.read_csv(LOGHUB / f"{system}_2k.log_structured.csv", dtype=str,
                            keep_default_na=False)
        level = frame["Level"] if "Level" in frame and system != "Linux" else ""
        parts.append(pd.DataFrame({"source": system, "log_message": frame["Content"],
                                   "event_id": frame["EventId"], "level": level}))
    rows = pd.concat(parts, ignore_index=True)
    rows = rows.merge(labels.rename(columns={"system": "source", "label": "target_label"}),
                      on=["source", "event_id"], how="inner")
    rows["template_id"] = rows["source"] + ":" + rows["event_id"]
    return rows[["source", "log_message", "target_label", "template_id", "level"]]


def train(data: Path, registry: Path, seed: int, *options: str) -> dict[str, object]:
    env = {**os.environ, "MODELS_ROOT": str(registry), "HF_HUB_OFFLINE": "1"}
    subprocess.run([sys.executable, "-m", "training", "train-logs", "--data", str(data),
                    "--no-cascade", "--name", "loghub-level", "--seed", str(seed), *options],
                   cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    folder = sorted((registry / "loghub-level").iterdir())[-1]
    metrics = json.loads((folder / "manifest.json").read_text())["metrics"]
    return {k: metrics[k] for k in (*FIGURES, "test_rows", "test_templates") if k in metrics}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42, help="the template split's seed")
    seed = parser.parse_args().seed
    with tempfile.TemporaryDirectory(prefix="sift-level-bench-") as folder:
        base = Path(folder)
        frame = loghub_frame()
        data = base / "loghub.csv"
        frame.to_csv(data, index=False)
        without = train(data, base / "a", seed)
        with_level = train(data, base / "b", seed, "--level-column", "level")
    print(json.dumps({  # noqa: T201 - the bench's one JSON line
        "bench": "level_feature", "seed": seed, "rows": len(frame),
        "rows_with_level": int((frame["level"] != "").sum()),
        "without_level": without, "with_level": with_level,
        "load_1m": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
