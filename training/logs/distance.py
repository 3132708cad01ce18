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
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sklearn.linear_model import LogisticRegression

from backend.core.calibration import threshold_for_precision
from backend.logs.cascade import FAST, FULL
from backend.logs.distance import (
    MINILM,
    STATIC,
    DistanceCalibration,
    features,
    key_words,
    second_opinion,
    unknown_words,
)

if TYPE_CHECKING:
    from training.logs.train import LogTrainingArguments

logger = logging.getLogger(__name__)
N_BINS = 15


def confidence_bins(conf: np.ndarray, bins: int = N_BINS) -> np.ndarray:
    """The equal-width bin of each confidence (1.0 in the last), for every ECE here."""
    return np.minimum((conf * bins).astype(int), bins - 1)


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray,
                               weights: np.ndarray | None = None, bins: int = N_BINS) -> float:
    """ECE over equal-width confidence bins: the weighted mean |accuracy - confidence|."""
    conf = np.asarray(confidence, dtype=np.float64)
    hit = np.asarray(correct, dtype=np.float64)
    w = np.ones_like(conf) if weights is None else np.asarray(weights, dtype=np.float64)
    if not len(conf) or w.sum() <= 0:
        return 0.0
    which = confidence_bins(conf, bins)
    total = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            wb = w[m].sum()
            total += wb * abs(np.average(hit[m], weights=w[m]) - np.average(conf[m], weights=w[m]))
    return float(total / w.sum())


def calibrated_ece(confidence: np.ndarray, groups: np.ndarray,
                   weights: np.ndarray | None = None, draws: int = 200, seed: int = 0,
                   bins: int = N_BINS) -> tuple[float, float, float]:
    """The ECE a *perfectly calibrated* model with these confidences would show on these
    lines, when all lines of a group (a template) share one outcome: its mean, 10th and
    90th percentile over `draws` simulated outcomes (each group right with probability its
    mean confidence).

    Line-weighted ECE on real logs is lumpy: one template can be half a system's lines, so a
    right-or-wrong template moves a bin by hundreds of lines. An ECE figure means little
    without this reference: on the 14 Loghub systems v6's own confidences give about 0.08
    even when every answer is exactly as likely to be right as it says."""
    conf = np.asarray(confidence, dtype=np.float64)
    if not len(conf):
        return 0.0, 0.0, 0.0
    w = np.ones_like(conf) if weights is None else np.asarray(weights, dtype=np.float64)
    _, group = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    group_conf = (np.bincount(group, weights=w * conf) / np.maximum(
        np.bincount(group, weights=w), 1e-12))
    which = confidence_bins(conf, bins)
    onehot = np.zeros((len(conf), bins))
    onehot[np.arange(len(conf)), which] = w
    conf_mass = conf @ onehot  # per bin: sum of w * confidence
    rng = np.random.default_rng(seed)
    hits = rng.uniform(size=(draws, len(group_conf))) < group_conf  # one outcome per group
    errors = np.abs(hits[:, group].astype(np.float64) @ onehot - conf_mass).sum(1) / w.sum()
    return (float(errors.mean()), float(np.quantile(errors, 0.1)),
            float(np.quantile(errors, 0.9)))


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


@dataclass(frozen=True)
class CalibrationOptions:
    """How the distance calibration and the abstain threshold are fitted (train-logs flags).

    real_only: fit both on the out-of-fold rows of the held-out *real* systems only (groups
        `extra:<system>`), not on held-out generated templates, which are near their
        siblings and easy: served lines are real ones.
    by_label: a bias per answered label beside the shared curve.
    minilm_floor_quantile: the MiniLM similarity floor, as a quantile of the held-out real
        rows' MiniLM similarities to their fold's training keys.
    fast_opinion: the full stage's calibration also reads the fast stage's opinion of its
        answer (backend.logs.distance.second_opinion; needs a fast stage).
    """

    real_only: bool = False
    by_label: bool = False
    minilm_floor_quantile: float | None = None
    target_precision: float = 0.95
    fast_opinion: bool = False


def out_of_fold_unknown_words(keys: Sequence[str], folds: list[tuple[np.ndarray, np.ndarray]]
                              ) -> np.ndarray:
    """Per row: whether none of its key's words is in the keys its fold was trained on."""
    unknown = np.zeros(len(keys), dtype=bool)
    for fit_idx, held_idx in folds:
        vocabulary = set().union(*(key_words(keys[i]) for i in fit_idx))
        unknown[held_idx] = unknown_words([keys[i] for i in held_idx], vocabulary)
    return unknown


def fit_stage(confidence: np.ndarray, similarity: np.ndarray, correct: np.ndarray,
              weights: np.ndarray | None, labels: Sequence[str] | None = None,
              classes: Sequence[str] = (), opinion: np.ndarray | None = None
              ) -> tuple[tuple[float, ...], dict[str, float], tuple[float, float] | None]:
    """(a, b, c, d) of the stage's calibration, a bias per answered label when `labels`
    are given and the weights of the fast stage's `opinion` when given: a logistic
    regression of "the answer was right" on the features of backend.logs.distance.features
    (plus the answered label, one-hot, and the opinion's two columns)."""
    if correct.all() or not correct.any():
        return (1.0, 0.0, 0.0, 0.0), {}, None  # nothing to learn: the head's own confidence
    x = features(confidence, similarity)
    if labels is not None:
        x = np.hstack([x, np.asarray([[label == c for c in classes] for label in labels],
                                     dtype=np.float64)])
    if opinion is not None:
        x = np.hstack([x, opinion])
    lr = LogisticRegression(C=100.0, max_iter=3000)
    lr.fit(x, correct.astype(int), sample_weight=weights)
    coef = lr.coef_[0]
    base = (*(round(float(v), 6) for v in coef[:3]), round(float(lr.intercept_[0]), 6))
    n_bias = len(classes) if labels is not None else 0
    bias = ({c: round(float(v), 6) for c, v in zip(classes, coef[3:3 + n_bias], strict=True)}
            if labels is not None else {})
    weights_of_opinion = ((round(float(coef[3 + n_bias]), 6),
                           round(float(coef[4 + n_bias]), 6)) if opinion is not None else None)
    return base, bias, weights_of_opinion


def is_real(groups: np.ndarray) -> np.ndarray:
    """Rows of the real corpus (grouped by system as `extra:<system>`)."""
    return np.char.startswith(np.asarray(groups, dtype=str), "extra:")


def fit_calibration(space: np.ndarray, keys: Sequence[str], y_idx: np.ndarray,
                    groups: np.ndarray, full_proba: np.ndarray, fast_proba: np.ndarray | None,
                    cascade_threshold: float | None, weights: np.ndarray | None,
                    options: CalibrationOptions, classes: Sequence[str] = (), seed: int = 42,
                    static_space: bool = True, minilm: np.ndarray | None = None
                    ) -> tuple[DistanceCalibration, float, dict[str, object]]:
    """The calibration, the abstain threshold on its served confidences, and figures, from
    the out-of-fold probabilities of the heads (the folds of `group_folds`)."""
    from training.logs.train import group_folds

    folds = group_folds(y_idx, groups, seed)
    sims = out_of_fold_similarity(space, keys, folds)
    classes = list(classes) or [str(i) for i in range(full_proba.shape[1])]
    real = is_real(groups)
    fit_rows = real if options.real_only and real.any() else np.ones(len(keys), dtype=bool)
    w = np.asarray(weights, dtype=np.float64)[fit_rows] if weights is not None else None
    minilm_floor = minilm_unit = None
    full_inside, novel = np.ones(len(keys), dtype=bool), np.zeros(len(keys), dtype=bool)
    if options.minilm_floor_quantile is not None and minilm is not None and real.any():
        minilm_unit = minilm / np.maximum(np.linalg.norm(minilm, axis=1, keepdims=True), 1e-12)
        minilm_sims = out_of_fold_similarity(minilm_unit, keys, folds)
        minilm_floor = round(float(np.quantile(minilm_sims[real],
                                               options.minilm_floor_quantile)), 6)
        full_inside = minilm_sims >= minilm_floor
        novel = out_of_fold_unknown_words(keys, folds)
    coefficients: dict[str, tuple[float, ...]] = {}
    label_bias: dict[str, dict[str, float]] = {}
    opinion_weights: dict[str, tuple[float, float]] = {}
    opinion: dict[str, np.ndarray] = {}
    stages = [(FULL, full_proba)] + ([(FAST, fast_proba)] if fast_proba is not None else [])
    raw: dict[str, np.ndarray] = {}
    answered: dict[str, list[str]] = {}
    right: dict[str, np.ndarray] = {}
    for stage, proba in stages:
        raw[stage] = proba.max(1)
        right[stage] = proba.argmax(1) == y_idx
        answered[stage] = [classes[i] for i in proba.argmax(1)]
        labels = ([answered[stage][i] for i in np.flatnonzero(fit_rows)]
                  if options.by_label else None)
        if stage == FULL and options.fast_opinion and fast_proba is not None:
            opinion[stage] = second_opinion(answered[stage], fast_proba, classes)
        coefficients[stage], bias, weights_of_opinion = fit_stage(
            raw[stage][fit_rows], sims[fit_rows], right[stage][fit_rows], w, labels, classes,
            opinion[stage][fit_rows] if stage in opinion else None)
        if bias:
            label_bias[stage] = bias
        if weights_of_opinion is not None:
            opinion_weights[stage] = weights_of_opinion
    calibration = DistanceCalibration(unique_rows(space, keys), STATIC if static_space
                                      else MINILM, coefficients, label_bias=label_bias,
                                      n_labels=len(classes),
                                      vocabulary=frozenset().union(*map(key_words, keys))
                                      if minilm_floor is not None else frozenset(),
                                      minilm_reference=(unique_rows(minilm_unit, keys)
                                                        if minilm_unit is not None else None),
                                      minilm_floor=minilm_floor, opinion=opinion_weights)
    cal = {stage: calibration.calibrate(raw[stage], sims, stage, answered[stage],
                                        opinion.get(stage))
           for stage, _ in stages}
    if minilm_floor is not None:
        cal[FULL] = calibration.chance(cal[FULL], full_inside)
    if fast_proba is not None and cascade_threshold is not None:
        use_fast = (raw[FAST] >= cascade_threshold) & ~novel
        served_conf = np.where(use_fast, cal[FAST], cal[FULL])
        served_right = np.where(use_fast, right[FAST], right[FULL])
        served_raw = np.where(use_fast, raw[FAST], raw[FULL])
    else:
        served_conf, served_right, served_raw = cal[FULL], right[FULL], raw[FULL]
    chosen = threshold_for_precision(served_conf[fit_rows], served_right[fit_rows],
                                     options.target_precision)
    figures: dict[str, object] = {
        "distance_space": calibration.space,
        "distance_reference_keys": int(len(set(keys))),
        "cv_similarity_mean": round(float(sims.mean()), 4),
        "cv_ece_before_distance": round(expected_calibration_error(
            served_raw[fit_rows], served_right[fit_rows]), 4),
        "cv_ece_after_distance": round(expected_calibration_error(
            served_conf[fit_rows], served_right[fit_rows]), 4),
        "cv_coverage_at_threshold": chosen["coverage"],
        "cv_precision_at_threshold": chosen["precision"],
        "calibration_rows": "real" if fit_rows is real else "all",
        "minilm_floor": minilm_floor,
        **{f"distance_{stage}": list(c) for stage, c in coefficients.items()},
        **{f"distance_{stage}_opinion": list(c) for stage, c in opinion_weights.items()}}
    logger.info("distance calibration: out-of-fold ECE %.4f -> %.4f; threshold %.4f answers "
                "%.1f%% out of fold", figures["cv_ece_before_distance"],
                figures["cv_ece_after_distance"], chosen["threshold"], 100 * chosen["coverage"])
    return calibration, float(chosen["threshold"]), figures


def fit_distance(space: np.ndarray, keys: Sequence[str], y_idx: np.ndarray, groups: np.ndarray,
                 full_proba: np.ndarray, fast_proba: np.ndarray | None,
                 cascade_threshold: float | None, args: LogTrainingArguments,
                 weights: np.ndarray | None, static_space: bool, classes: Sequence[str] = (),
                 minilm: np.ndarray | None = None
                 ) -> tuple[DistanceCalibration, float, dict[str, object]]:
    """fit_calibration with the training run's options."""
    options = CalibrationOptions(real_only=args.calibration_real_only,
                                 by_label=args.calibration_by_label,
                                 minilm_floor_quantile=args.minilm_floor_quantile,
                                 target_precision=args.target_precision,
                                 fast_opinion=args.calibration_fast_opinion)
    return fit_calibration(space, keys, y_idx, groups, full_proba, fast_proba,
                           cascade_threshold, weights, options, classes, args.seed,
                           static_space, minilm)
