"""The what-if curve of a classified file: coverage (and accuracy, when the file carries
its own labels) for every threshold, computed once by the API so no client re-applies
the threshold rule.

A row is *gated* when the threshold decides it (the model tier of the log cascade, every
event of the step tagger): it is labelled at threshold t when its confidence >= t, with
the model's best guess. Other labelled rows (rules, memory, neighbours, LLM) do not
depend on t. The served threshold itself is one of the points, so the curve at it is
exactly the coverage the result has.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from backend.core.labels import UNCLASSIFIED

GRID = 101  # 0.00, 0.01, ..., 1.00


def _label(value: object) -> str | None:
    """A label the file states, or None (blank, NaN)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def coverage_curve(confidence: Sequence[float], gated: Sequence[bool],
                   labels: Sequence[str], guesses: Sequence[str], threshold: float,
                   given: Sequence[object] | None = None) -> list[dict[str, Any]]:
    """Points {threshold, coverage, labelled, accuracy} for 0..1 by 0.01 plus `threshold`.

    `labels`: each row's answer at the served threshold; `guesses`: the label a gated row
    gets once its confidence passes the threshold; `given`: the file's own labels (then
    `accuracy` is the share of covered, labelled rows that agree; else it is None)."""
    conf = np.asarray(confidence, dtype=float)
    gate = np.asarray(gated, dtype=bool)
    answer = np.asarray(labels, dtype=object)
    fixed = ~gate & (answer != UNCLASSIFIED)
    guess = np.where(gate, np.asarray(guesses, dtype=object), answer)
    truth = None if given is None else np.asarray([_label(v) for v in given], dtype=object)
    known = None if truth is None else np.array([v is not None for v in truth], dtype=bool)
    points = sorted({*np.round(np.linspace(0.0, 1.0, GRID), 2).tolist(),
                     float(threshold)})
    n = max(len(conf), 1)
    out = []
    for t in points:
        covered = fixed | (gate & (conf >= t))
        point: dict[str, Any] = {"threshold": t, "coverage": round(float(covered.sum()) / n, 4),
                                 "labelled": int(covered.sum()), "accuracy": None}
        if truth is not None and known is not None:
            judged = covered & known
            if judged.any():
                point["accuracy"] = round(float((guess[judged] == truth[judged]).mean()), 4)
        out.append(point)
    return out
