"""Loghub grouping accuracy (bench/template_grouping.py): the metric, and the key's targets."""

from __future__ import annotations

import pytest

from bench.template_grouping import (
    DESIGN_SYSTEMS,
    HELD_OUT_SYSTEMS,
    grouping_accuracy,
    measure,
)
from tests.utils.data import LOGHUB, shared_file


def test_grouping_accuracy_counts_a_line_only_when_its_group_is_exact() -> None:
    truth = ["a", "a", "b", "b", "c"]
    assert grouping_accuracy(truth, [1, 1, 2, 2, 3]) == 1.0
    # b split in two: both b lines wrong; a and c right
    assert grouping_accuracy(truth, [1, 1, 2, 4, 3]) == pytest.approx(3 / 5)
    # b and c merged: all three wrong
    assert grouping_accuracy(truth, [1, 1, 2, 2, 2]) == pytest.approx(2 / 5)


def test_design_and_held_out_systems_split_the_fourteen() -> None:
    assert len(DESIGN_SYSTEMS) == len(HELD_OUT_SYSTEMS) == 7
    assert not set(DESIGN_SYSTEMS) & set(HELD_OUT_SYSTEMS)


def test_template_key_meets_the_grouping_targets() -> None:
    """Issue 26's bars, without Drain3 (its figures are in docs/patterns.md)."""
    shared_file("loghub/Linux_2k.log_structured.csv")  # missing data fails loudly
    out = measure(LOGHUB, with_drain=False)
    assert out["sift_mean"] >= 0.90
    assert out["sift_mean_held_out"] >= 0.85
