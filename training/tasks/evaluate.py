"""Evaluation of a task head: accuracy, per-class P/R/F1, confusions, confidence analysis."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

CONFIDENCE_BINS = (0.0, 0.5, 0.7, 0.9, 1.01)


def evaluate(proba: np.ndarray, classes: list[str], y_true: list[str],
             threshold: float = 0.7) -> dict[str, Any]:
    """Metrics for predictions `proba` (columns in `classes` order) against `y_true`.

    Labels the head does not know count as errors, so a model that cannot give a
    new category is scored honestly against one that can.
    """
    if len(y_true) == 0:
        return {"n": 0}
    idx = proba.argmax(axis=1)
    y_pred = [classes[i] for i in idx]
    conf = proba[np.arange(len(idx)), idx]
    correct = np.asarray([p == t for p, t in zip(y_pred, y_true, strict=True)])
    labels = sorted(set(classes) | set(y_true))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    auto = conf >= threshold
    bins = []
    for lo, hi in zip(CONFIDENCE_BINS, CONFIDENCE_BINS[1:], strict=False):
        mask = (conf >= lo) & (conf < hi)
        bins.append({"range": [lo, min(hi, 1.0)], "n": int(mask.sum()),
                     "accuracy": round(float(correct[mask].mean()), 4) if mask.any() else None})
    return {
        "n": len(y_true),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(np.mean([f[i] for i, s_i in enumerate(s) if s_i > 0])), 4),
        "per_class": {lab: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                            "f1": round(float(f[i]), 4), "support": int(s[i])}
                      for i, lab in enumerate(labels)},
        "confusion": {"labels": labels,
                      "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist()},
        "confidence": {
            "mean_correct": round(float(conf[correct].mean()), 4) if correct.any() else None,
            "mean_wrong": round(float(conf[~correct].mean()), 4) if (~correct).any() else None,
            "threshold": threshold,
            "auto_selected_share": round(float(auto.mean()), 4),
            "accuracy_when_auto_selected": (round(float(correct[auto].mean()), 4)
                                            if auto.any() else None),
            "bins": bins,
        },
    }
