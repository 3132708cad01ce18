"""Plain warnings about a freshly trained model, said before it is published.

A figure alone does not tell a user whether the model is any good: 0.40 accuracy is fine
for twenty balanced labels and useless where one label is 60% of the rows. So each
trainer compares its held-out figures with the majority-label baseline (every row gets
the label most common in training) and says so when the model barely beats it, or when
it answers fewer than half of the held-out rows at its threshold.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

logger = logging.getLogger(__name__)

LOW_COVERAGE = 0.5  # answering fewer held-out rows than this at the threshold is "low"
MARGIN = 0.05  # accuracy within this of the majority baseline is "not clearly better"


def majority_baseline(train_labels: Iterable[str], test_labels: Iterable[str]
                      ) -> tuple[str, float]:
    """The most common training label and its accuracy on the held-out labels."""
    counts: dict[str, int] = {}
    for label in train_labels:
        counts[label] = counts.get(label, 0) + 1
    if not counts:
        return "", 0.0
    majority = max(sorted(counts), key=counts.__getitem__)
    test = list(test_labels)
    return majority, round(sum(t == majority for t in test) / len(test), 4) if test else 0.0


def quality_warnings(accuracy: float, coverage: float, baseline_label: str,
                     baseline_accuracy: float, unit: str = "rows") -> list[str]:
    """Sentences for the CLI and the report; empty when nothing looks wrong."""
    out = []
    if coverage < LOW_COVERAGE:
        out.append(f"low coverage: at its threshold the model answers only {coverage:.1%} of "
                   f"the held-out {unit} (below {LOW_COVERAGE:.0%}); the rest come back "
                   "Unclassified. More labelled data per label, or a lower "
                   "--target-precision, raises it.")
    if accuracy < baseline_accuracy + MARGIN:
        out.append(f"low accuracy: {accuracy:.3f} on held-out {unit} is not clearly above the "
                   f"majority-label baseline {baseline_accuracy:.3f} (always answering "
                   f"'{baseline_label}'). Check the labels and add examples of the other "
                   "labels before serving it.")
    return out


def log_warnings(name: str, warnings: list[str]) -> None:
    """Say each warning now, before the model is published."""
    for warning in warnings:
        logger.warning("%s: %s", name, warning)
