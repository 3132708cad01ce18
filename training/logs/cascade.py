"""Training the cascade's fast stage and choosing where it hands over to MiniLM.

Both heads are trained by `train_head` on the same rows and template groups,
so their out-of-fold probabilities cover the same held-out templates. The
cascade threshold is chosen there (never on the test split): the lowest
stage-1 confidence from which on every threshold keeps the cascade within
`tolerance` of MiniLM alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from backend.embedding.features import TextFeatures
from backend.embedding.static import STATIC_FILES, STATIC_FOLDER, StaticEmbedder
from backend.logs.cascade import FastStage, static_inputs
from backend.registry.manifest import is_version, version_number

if TYPE_CHECKING:
    from training.logs.train import LogTrainingArguments

logger = logging.getLogger(__name__)


def choose_cascade_threshold(fast: np.ndarray, full: np.ndarray, y: np.ndarray,
                             tolerance: float) -> tuple[float, dict[str, float]]:
    """(threshold, figures) from out-of-fold probabilities of both stages.

    A key whose stage-1 confidence is at or above the threshold keeps stage 1's
    answer, the rest take stage 2's. Scans every distinct confidence, lowest
    first, and returns the lowest from which on the cascade's accuracy stays
    within `tolerance` of stage 2 alone (above the highest confidence every key
    goes to stage 2, which always qualifies)."""
    n = len(y)
    conf = fast.max(1)
    right1 = fast.argmax(1) == y
    right2 = full.argmax(1) == y
    order = np.argsort(conf, kind="stable")
    c, r1, r2 = conf[order], right1[order], right2[order]
    below2 = np.concatenate([[0], np.cumsum(r2)])  # stage-2 hits among the first j rows
    above1 = np.concatenate([np.cumsum(r1[::-1])[::-1], [0]])  # stage-1 hits from row j
    accuracy = (below2 + above1) / max(n, 1)
    first = np.concatenate([[True], c[1:] != c[:-1], [True]])  # j where a new value starts
    target = right2.mean() - tolerance
    ok = (accuracy >= target - 1e-12) | ~first  # a tie's inner rows are not thresholds
    bad = np.flatnonzero(~ok)
    j = min(int(bad[-1]) + 1, n) if len(bad) else 0
    while j < n and not first[j]:
        j += 1
    threshold = float(c[j]) if j < n else float(min(1.0, c[-1] + 1e-6) if n else 1.0)
    figures = {"cascade_threshold": round(threshold, 6),
               "cascade_cv_fast_share": round(float(np.mean(conf >= threshold)), 4),
               "cascade_cv_accuracy": round(float(accuracy[j]), 4),
               "cascade_cv_full_accuracy": round(float(right2.mean()), 4),
               "cascade_cv_fast_accuracy": round(float(right1.mean()), 4),
               "cascade_tolerance": tolerance}
    return threshold, figures


def fit_fast_stage(static: StaticEmbedder, text: TextFeatures | None, keys: Sequence[str],
                   y: list[str], groups: np.ndarray, full_proba: np.ndarray,
                   args: LogTrainingArguments, levels: Sequence[str | None] | None = None,
                   weights: np.ndarray | None = None
                   ) -> tuple[FastStage, dict[str, object], np.ndarray]:
    """The fast head on the model-tier training rows, the cascade threshold, and the fast
    head's out-of-fold probabilities. C is chosen for the cascade, not for stage 1 alone:
    the value whose out-of-fold threshold lets stage 1 answer the most keys (ties: the
    more accurate cascade)."""
    from training.logs.train import train_head

    x = static_inputs(static, text, keys, args.fast_blocks, levels=levels,
                      level_weight=args.level_weight)
    classes = sorted(set(y))
    y_idx = np.array([classes.index(label) for label in y])
    best = None
    for c in args.fast_c_grid or args.c_grid:
        head, params, proba = train_head(x, y, groups, replace(args, c_grid=(c,)), weights)
        threshold, figures = choose_cascade_threshold(proba, full_proba, y_idx,
                                                      args.cascade_tolerance)
        rank = (figures["cascade_cv_fast_share"], figures["cascade_cv_accuracy"])
        logger.info("fast head C=%s: threshold %.4f, stage 1 answers %.1f%% out-of-fold",
                    c, threshold, 100 * rank[0])
        if best is None or rank > best[0]:
            best = (rank, head, params, threshold, figures, proba)
    assert best is not None
    _, head, params, threshold, figures, proba = best
    logger.info("cascade threshold %.4f: stage 1 answers %.1f%% of held-out keys "
                "(out-of-fold accuracy %.4f vs MiniLM %.4f)", threshold,
                100 * figures["cascade_cv_fast_share"], figures["cascade_cv_accuracy"],
                figures["cascade_cv_full_accuracy"])
    fast_params = {f"fast_{k}": v for k, v in params.items()
                   if k in ("C", "cv_model_tier_accuracy", "temperature", "threshold")}
    manifest_params: dict[str, object] = {
        **fast_params, **figures, "static_model": static.name,
        "fast_blocks": ",".join(args.fast_blocks) if args.fast_blocks is not None else "all"}
    return FastStage(head, static, threshold, args.fast_blocks), manifest_params, proba


def shipped_static_model(store_root: Path, name: str) -> Path | None:
    """The `static/` folder of the newest version of `name` that has one (the distilled
    model travels with the log model, so training on a fresh clone finds it)."""
    folder = store_root / name
    if not folder.is_dir():
        return None
    versions = sorted((p for p in folder.iterdir() if p.is_dir() and is_version(p.name)),
                      key=lambda p: version_number(p.name), reverse=True)
    for version in versions:
        candidate = version / STATIC_FOLDER
        if all((candidate / f).is_file() for f in STATIC_FILES):
            return candidate
    return None
