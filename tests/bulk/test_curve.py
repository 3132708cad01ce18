"""The what-if curve the file jobs return: coverage and accuracy per threshold."""

from __future__ import annotations

import numpy as np
import pytest

from backend.bulk.curve import coverage_curve


def test_curve_matches_pointwise_coverage_and_includes_the_served_threshold() -> None:
    rng = np.random.default_rng(0)
    confidence = rng.random(500)
    tier = rng.choice(["model", "rules", "llm", "none"], 500)
    gated = tier == "model"
    fixed = np.isin(tier, ["rules", "llm"]) & (rng.random(500) > 0.2)
    served = 0.537
    labels = np.where(fixed | (gated & (confidence >= served)), "A", "Unclassified")
    curve = coverage_curve(confidence.tolist(), gated.tolist(), labels.tolist(),
                           ["A"] * 500, served)
    for point in curve:
        expected = (fixed | (gated & (confidence >= point["threshold"]))).mean()
        assert point["coverage"] == pytest.approx(expected, abs=1e-4)
        assert point["accuracy"] is None
    at_served = next(p for p in curve if p["threshold"] == served)
    assert at_served["coverage"] == pytest.approx((labels != "Unclassified").mean(), abs=1e-4)
    coverages = [p["coverage"] for p in curve]
    assert coverages == sorted(coverages, reverse=True) and len(curve) == 102


def test_accuracy_uses_best_guesses_below_the_served_threshold() -> None:
    curve = coverage_curve([0.9, 0.4, 1.0, 0.0], [True, True, False, False],
                           ["A", "Unclassified", "R", "Unclassified"], ["A", "B", "R", "x"],
                           0.5, ["A", "A", "R", None])
    points = {p["threshold"]: p for p in curve}
    assert points[0.5] == {"threshold": 0.5, "coverage": 0.5, "labelled": 2, "accuracy": 1.0}
    assert points[0.3]["coverage"] == 0.75 and points[0.3]["accuracy"] == pytest.approx(0.6667)
