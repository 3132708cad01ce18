"""Calibrated abstention: temperature scaling, and a threshold chosen for a target precision.

Both are fitted on validation sessions at training time and stored with the
model, so serving only divides by the temperature and compares with the
threshold. A fixed 0.95 answered 79% of one real log's events and 29% of
another's: what a confidence means differs per model, so the threshold must.
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-12


def apply_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log p / T): the same as dividing the logits by T (a per-row shift cancels)."""
    if temperature == 1.0 or not len(probs):
        return probs
    logits = np.log(np.clip(probs, _EPS, None)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    out = np.exp(logits)
    return (out / out.sum(axis=1, keepdims=True)).astype(probs.dtype)


def fit_temperature(probs: np.ndarray, y: np.ndarray) -> float:
    """The T in [0.05, 20] that minimises the negative log-likelihood of the true labels
    (a log-spaced grid, then a finer one around the best: one parameter needs no optimiser)."""
    keep = y >= 0
    probs, y = probs[keep], y[keep]
    if not len(y):
        return 1.0
    logp = np.log(np.clip(probs, _EPS, None))

    def nll(t: float) -> float:
        z = logp / t
        z = z - z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        return float((log_norm - z[np.arange(len(y)), y]).mean())

    grid = np.geomspace(0.05, 20.0, 60)
    best = float(grid[int(np.argmin([nll(t) for t in grid]))])
    fine = np.geomspace(best / 1.15, best * 1.15, 31)
    return round(float(fine[int(np.argmin([nll(t) for t in fine]))]), 4)


def threshold_for_precision(confidence: np.ndarray, correct: np.ndarray, target: float
                            ) -> dict[str, float]:
    """The lowest threshold whose answered events (confidence >= it) reach `target` precision.

    Scans the events by falling confidence and keeps the largest answered set whose
    precision is at least the target; ties in confidence are answered together. When no
    set reaches the target, only the single most confident value is answered.
    """
    if not len(confidence):
        return {"threshold": 1.0, "precision": 0.0, "coverage": 0.0}
    order = np.argsort(-confidence, kind="stable")
    conf, hits = confidence[order], correct[order].astype(np.float64)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    last_of_tie = np.r_[conf[1:] != conf[:-1], True]  # a threshold answers whole ties
    ok = np.flatnonzero((precision >= target) & last_of_tie)
    k = int(ok[-1]) if len(ok) else int(np.flatnonzero(last_of_tie)[0])
    return {"threshold": round(float(conf[k]), 6), "precision": round(float(precision[k]), 4),
            "coverage": round((k + 1) / len(conf), 4)}


def precision_curve(confidence: np.ndarray, correct: np.ndarray, points: int = 21
                    ) -> list[dict[str, float]]:
    """Coverage and precision of the answered events at evenly spaced coverages."""
    if not len(confidence):
        return []
    order = np.argsort(-confidence, kind="stable")
    conf, hits = confidence[order], correct[order].astype(np.float64)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    out = []
    for share in np.linspace(0.05, 1.0, points - 1):
        k = max(int(round(share * len(conf))) - 1, 0)
        out.append({"coverage": round((k + 1) / len(conf), 4), "threshold": round(float(
            conf[k]), 6), "precision": round(float(precision[k]), 4)})
    return out
