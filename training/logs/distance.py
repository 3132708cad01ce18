"""Fitting the distance-aware calibration (backend.logs.distance) and the abstain threshold
on what it serves.

Out of fold, each row's similarity is measured to the distinct keys of the rows its
fold was trained on, the same folds that gave the heads' out-of-fold
probabilities. With the real corpus grouped by system, a held-out row is a line
of a system the fold never saw: how often the head is right there, given its
confidence and that similarity, is what the calibration learns. The threshold is
then the lowest *served* confidence (the cascade's answer, calibrated) that keeps
the target precision out of fold.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from sklearn.linear_model import LogisticRegression

from backend.core.calibration import threshold_for_precision
from backend.logs.cascade import FAST, FULL
from backend.logs.distance import MINILM, STATIC, DistanceCalibration, features

if TYPE_CHECKING:
    from training.logs.train import LogTrainingArguments

logger = logging.getLogger(__name__)
N_BINS = 15


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray,
                               weights: np.ndarray | None = None, bins: int = N_BINS) -> float:
    """ECE over equal-width confidence bins: the weighted mean |accuracy - confidence|."""
    conf = np.asarray(confidence, dtype=np.float64)
    hit = np.asarray(correct, dtype=np.float64)
    w = np.ones_like(conf) if weights is None else np.asarray(weights, dtype=np.float64)
    if not len(conf) or w.sum() <= 0:
        return 0.0
    which = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            wb = w[m].sum()
            total += wb * abs(np.average(hit[m], weights=w[m]) - np.average(conf[m], weights=w[m]))
    return float(total / w.sum())


def unique_rows(vectors: np.ndarray, keys: Sequence[str]) -> np.ndarray:
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        seen.setdefault(key, i)
    return np.asarray(vectors)[list(seen.values())]


def out_of_fold_similarity(vectors: np.ndarray, keys: Sequence[str],
                           folds: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Per row: cosine similarity to the nearest distinct key its fold was trained on."""
    sims = np.zeros(len(keys), dtype=np.float32)
    probe = DistanceCalibration(np.zeros((0, vectors.shape[1])), STATIC, {})
    for fit_idx, held_idx in folds:
        probe.reference = np.ascontiguousarray(
            unique_rows(vectors[fit_idx], [keys[i] for i in fit_idx]), dtype=np.float32)
        sims[held_idx] = probe.similarity(vectors[held_idx])
    return sims


def fit_stage(confidence: np.ndarray, similarity: np.ndarray, correct: np.ndarray,
              weights: np.ndarray | None) -> tuple[float, ...]:
    """(a, b, c, d) of the stage's calibration: a logistic regression of "the answer was
    right" on the features of backend.logs.distance.features."""
    if correct.all() or not correct.any():
        return (1.0, 0.0, 0.0, 0.0)  # nothing to learn: the head's own confidence
    lr = LogisticRegression(C=100.0, max_iter=2000)
    lr.fit(features(confidence, similarity), correct.astype(int), sample_weight=weights)
    return (*(round(float(v), 6) for v in lr.coef_[0]), round(float(lr.intercept_[0]), 6))


def fit_distance(space: np.ndarray, keys: Sequence[str], y_idx: np.ndarray, groups: np.ndarray,
                 full_proba: np.ndarray, fast_proba: np.ndarray | None,
                 cascade_threshold: float | None, args: LogTrainingArguments,
                 weights: np.ndarray | None, static_space: bool
                 ) -> tuple[DistanceCalibration, float, dict[str, object]]:
    """The calibration, the abstain threshold on its served confidences, and figures."""
    from training.logs.train import group_folds

    folds = group_folds(y_idx, groups, args.seed)
    sims = out_of_fold_similarity(space, keys, folds)
    coefficients: dict[str, tuple[float, ...]] = {}
    served_conf = served_right = None
    stages = [(FULL, full_proba)] + ([(FAST, fast_proba)] if fast_proba is not None else [])
    raw: dict[str, np.ndarray] = {}
    cal: dict[str, np.ndarray] = {}
    right: dict[str, np.ndarray] = {}
    for stage, proba in stages:
        raw[stage] = proba.max(1)
        right[stage] = proba.argmax(1) == y_idx
        coefficients[stage] = fit_stage(raw[stage], sims, right[stage], weights)
        cal[stage] = DistanceCalibration(np.zeros((0, 1)), STATIC, coefficients).calibrate(
            raw[stage], sims, stage)
    if fast_proba is not None and cascade_threshold is not None:
        use_fast = raw[FAST] >= cascade_threshold
        served_conf = np.where(use_fast, cal[FAST], cal[FULL])
        served_right = np.where(use_fast, right[FAST], right[FULL])
        served_raw = np.where(use_fast, raw[FAST], raw[FULL])
    else:
        served_conf, served_right, served_raw = cal[FULL], right[FULL], raw[FULL]
    chosen = threshold_for_precision(served_conf, served_right, args.target_precision)
    figures: dict[str, object] = {
        "distance_space": STATIC if static_space else MINILM,
        "distance_reference_keys": int(len(set(keys))),
        "cv_similarity_mean": round(float(sims.mean()), 4),
        "cv_ece_before_distance": round(expected_calibration_error(served_raw, served_right), 4),
        "cv_ece_after_distance": round(expected_calibration_error(served_conf, served_right), 4),
        "cv_coverage_at_threshold": chosen["coverage"],
        "cv_precision_at_threshold": chosen["precision"],
        **{f"distance_{stage}": list(c) for stage, c in coefficients.items()}}
    logger.info("distance calibration: out-of-fold ECE %.4f -> %.4f; threshold %.4f answers "
                "%.1f%% out of fold", figures["cv_ece_before_distance"],
                figures["cv_ece_after_distance"], chosen["threshold"], 100 * chosen["coverage"])
    reference = unique_rows(space, keys)
    return (DistanceCalibration(reference, STATIC if static_space else MINILM, coefficients),
            float(chosen["threshold"]), figures)
