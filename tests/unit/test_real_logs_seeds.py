"""bench/real_logs_seeds.py: the spread of real_logs' figures over runs (seeds)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bench.real_logs_seeds import summarise

TRUTH = [("A", "A:E1", "Error", 1), ("A", "A:E1", "Error", 1),
         ("A", "A:E2", "System Notification", 0), ("A", "A:E2", "System Notification", 0),
         ("B", "B:E1", "User Action", 0), ("B", "B:E1", "User Action", 0),
         ("B", "B:E2", "System Notification", 0), ("B", "B:E2", "System Notification", 0)]


def _run(tmp_path: Path, name: str, wrong_in_a: int, systems: tuple[str, ...] = ("A", "B")
         ) -> Path:
    """A results file as real_logs writes it: the first `wrong_in_a` lines of A are
    answered Security Alert at 0.95, every other line right at 0.8."""
    rows = []
    for i, (source, template, label, problem) in enumerate(TRUTH):
        if source not in systems:
            continue
        answer = "Security Alert" if source == "A" and i < wrong_in_a else label
        conf = 0.95 if answer != label else 0.8
        row = {"source": source, "template_id": template, "target_label": label,
               "problem": problem, "level": "", "key": template, "majority": label}
        for prefix in ("lvl", "nolvl"):
            row |= {f"{prefix}_label": answer, f"{prefix}_confidence": conf,
                    f"{prefix}_tier": "model", f"{prefix}_stage": "full",
                    f"{prefix}_guess": answer, f"{prefix}_guess_conf": conf}
        rows.append(row)
    path = tmp_path / f"{name}.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_mean_and_range_over_runs(tmp_path: Path) -> None:
    runs = [[_run(tmp_path, "s1", 0)], [_run(tmp_path, "s2", 2)]]
    out = summarise(runs)
    assert out["runs"] == 2 and out["lines"] == 8
    assert out["served_level_accuracy"] == {"mean": 0.875, "min": 0.75, "max": 1.0}
    assert out["served_level_confidently_wrong"] == {"mean": 0.125, "min": 0.0, "max": 0.25}
    assert out["system_accuracy"] == {"A": [0.5, 1.0], "B": [1.0, 1.0]}
    assert out["worst_system"] == [(1.0, "A"), (0.5, "A")]


def test_a_run_split_over_files_is_one_run(tmp_path: Path) -> None:
    a = _run(tmp_path, "a", 2, ("A",))
    b = _run(tmp_path, "b", 2, ("B",))
    out = summarise([[a, b], [_run(tmp_path, "whole", 2)]])
    assert out["served_level_accuracy"] == {"mean": 0.75, "min": 0.75, "max": 0.75}


def test_runs_over_other_systems_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="other systems"):
        summarise([[_run(tmp_path, "ab", 0)], [_run(tmp_path, "a", 0, ("A",))]])
