"""Whole-pipeline accuracy with the cascade vs MiniLM for every key, over template splits.

Trains the log classifier with `train-logs`' own code on the seeded generator data
(8,000 rows, seed 42: what the default model is trained on) once per split seed,
into a throw-away registry, and prints one JSON line: per seed, the held-out
accuracy through the cascade, the same pipeline with MiniLM for every key
(today's recipe: the same MiniLM head), the share of model-tier rows the fast
stage answered, and the chosen cascade threshold. One process and one cached
encoder, so every split after the first costs the heads only. Usage:
    python bench/cascade_accuracy.py [--seeds 42 1 2] [--static-model DIR] [--tolerance T]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from backend.core.config import Settings  # noqa: E402
from backend.embedding.service import build_embedder  # noqa: E402
from backend.embedding.static import StaticEmbedder  # noqa: E402
from training.logs.cascade import shipped_static_model  # noqa: E402
from training.logs.generator import generate_logs  # noqa: E402
from training.logs.train import LogTrainingArguments, train_logs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KEEP = ("accuracy", "accuracy_all_minilm", "macro_f1", "macro_f1_all_minilm", "fast_share",
        "cascade_threshold", "cascade_cv_fast_share", "coverage_at_threshold",
        "coverage_at_threshold_all_minilm", "test_rows", "test_templates")


def main() -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2])
    parser.add_argument("--static-model", type=Path, default=None)
    parser.add_argument("--tolerance", type=float, default=LogTrainingArguments.cascade_tolerance,
                        help="how much out-of-fold accuracy the fast stage may cost")
    args = parser.parse_args()
    folder = args.static_model or shipped_static_model(ROOT / "models", "log-classifier")
    if folder is None:
        raise SystemExit("no static model: pass --static-model (make distill)")
    static = StaticEmbedder(folder)
    out: dict[str, object] = {"static_model": static.name, "cpu_count": os.cpu_count(),
                              "tolerance": args.tolerance}
    with tempfile.TemporaryDirectory(prefix="sift-cascade-acc-") as tmp:
        data = Path(tmp) / "logs.csv"
        generate_logs(n=8000, seed=42).to_csv(data, index=False)
        settings = Settings(_env_file=None, MODELS_ROOT=Path(tmp) / "models")  # type: ignore[call-arg]
        embedder = build_embedder(settings)
        for seed in args.seeds:
            training = LogTrainingArguments(seed=seed, cascade_tolerance=args.tolerance)
            manifest = train_logs(data, settings, embedder, training,
                                  static=static)
            out[f"seed_{seed}"] = {k: manifest.metrics.get(k) for k in KEEP}
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
