"""Agreement between sift's labels and a label column the user's own file carries.

A team that uploads a labelled file sees at once where sift and its convention differ:
accuracy, macro-F1 and coverage on the labelled rows, the confusion matrix, and the
rows that disagree (first), each one a correction away from being taught.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pandas as pd

from backend.core.labels import UNCLASSIFIED
from sift_tables import normalize_header

_BLANK = frozenset({"", "nan", "none", "null", "n/a", "#n/a"})


def _label(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return None if text.lower() in _BLANK else text


def agreement(given: Sequence[object], predicted: Sequence[str],
              column: str) -> dict[str, Any]:
    """Figures on the rows whose `column` is filled; `disagreements` lists row positions
    (0-based, file order) where sift's label differs from the file's."""
    truth = [_label(v) for v in given]
    rows = [i for i, t in enumerate(truth) if t is not None]
    n = len(rows)
    if not n:
        return {"column": column, "labelled_rows": 0, "accuracy": None, "macro_f1": None,
                "coverage": None, "labels": [], "confusion": [], "disagreements": []}
    pairs = [(str(truth[i]), predicted[i]) for i in rows]  # rows hold a label
    agree = sum(t == p for t, p in pairs)
    covered = sum(p != UNCLASSIFIED for _, p in pairs)
    labels = sorted({t for t, _ in pairs} | {p for _, p in pairs})
    counts = Counter(pairs)
    f1s = []
    for label in sorted({t for t, _ in pairs}):
        tp = counts[(label, label)]
        fp = sum(c for (t, p), c in counts.items() if p == label and t != label)
        fn = sum(c for (t, p), c in counts.items() if t == label and p != label)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return {
        "column": column, "labelled_rows": n, "accuracy": round(agree / n, 4),
        "macro_f1": round(sum(f1s) / len(f1s), 4), "coverage": round(covered / n, 4),
        "labels": labels,  # rows: the file's label; columns: sift's
        "confusion": [[counts[(t, p)] for p in labels] for t in labels],
        "disagreements": [i for i, (t, p) in zip(rows, pairs, strict=True) if t != p],
    }


def file_agreement(frame: pd.DataFrame, predicted: Sequence[str],
                   column: str) -> dict[str, Any] | None:
    """Agreement with the file's own label column (header matched loosely), if it has one."""
    wanted = normalize_header(column)
    found = next((c for c in frame.columns if normalize_header(c) == wanted), None)
    if found is None:
        return None
    return agreement(frame[found].tolist(), list(predicted), str(found))


def agreement_headers(figures: dict[str, Any]) -> dict[str, str]:
    """The headline figures as response headers of a CSV answer."""
    return {"X-Agreement-Rows": str(figures["labelled_rows"]),
            "X-Agreement-Accuracy": str(figures["accuracy"]),
            "X-Agreement-Macro-F1": str(figures["macro_f1"]),
            "X-Agreement-Disagreements": str(len(figures["disagreements"]))}
