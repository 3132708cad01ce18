"""bench/real_logs_seeds.py: the spread of real_logs' figures over runs (seeds)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bench.real_logs import read_results, score, typed
from bench.real_logs_seeds import summarise

TRUTH = [("A", "A:E1", "Error", 1), ("A", "A:E1", "Error", 1),
         ("A", "A:E2", "System Notification", 0), ("A", "A:E2", "System Notification", 0),
         ("B", "B:E1", "User Action", 0), ("B", "B:E1", "User Action", 0),
         ("B", "B:E2", "System Notification", 0), ("B", "B:E2", "System Notification", 0)]


def _run(tmp_path: Path, name: str, wrong_in_a: int, systems: tuple[str, ...] = ("A", "B"),
         fallback: bool = False) -> Path:
    """A results file as real_logs writes it: the first `wrong_in_a` lines of A are
    answered Security Alert at 0.95, every other line right at 0.8. With `fallback`, B's
    lines are withheld (Unclassified) and the example tier (`fb_` columns) answers them
    right at 0.6, with an empty stage as a CSV gives it back."""
    rows = []
    for i, (source, template, label, problem) in enumerate(TRUTH):
        if source not in systems:
            continue
        answer = "Security Alert" if source == "A" and i < wrong_in_a else label
        conf = 0.95 if answer != label else 0.8
        row = {"source": source, "template_id": template, "target_label": label,
               "problem": problem, "level": "", "key": template, "majority": label}
        for prefix in ("lvl", "nolvl"):
            withheld = fallback and source == "B"
            row |= {f"{prefix}_label": "Unclassified" if withheld else answer,
                    f"{prefix}_confidence": 0.3 if withheld else conf,
                    f"{prefix}_tier": "abstained" if withheld else "model",
                    f"{prefix}_stage": "full", f"{prefix}_guess": answer,
                    f"{prefix}_guess_conf": 0.3 if withheld else conf}
            if fallback:
                row |= {f"fb_{prefix}_{k}": row[f"{prefix}_{k}"] for k in (
                    "label", "confidence", "tier", "stage", "guess", "guess_conf")}
                if withheld:
                    row |= {f"fb_{prefix}_label": answer, f"fb_{prefix}_confidence": 0.6,
                            f"fb_{prefix}_tier": "llm", f"fb_{prefix}_stage": ""}
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


def test_the_example_tier_for_withheld_lines_is_scored_beside_the_model(tmp_path: Path
                                                                        ) -> None:
    """Runs since session 13 also record the answers with LLM_FOR_LOW_CONFIDENCE on: the
    lines the model withholds are answered by the model's labelled examples."""
    out = summarise([[_run(tmp_path, "fb", 0, fallback=True)]])
    assert out["served_level_accuracy"]["mean"] == 0.5  # B withheld: a miss
    assert out["served_level_coverage"]["mean"] == 0.5
    assert out["fallback_level_accuracy"]["mean"] == 1.0
    assert out["fallback_level_coverage"]["mean"] == 1.0
    assert out["fallback_worst_system"] == [(1.0, "A")]
    table = score(typed(read_results([tmp_path / "fb.csv"])))
    assert table["B"]["fallback_level"]["tiers"] == {"llm": 1.0}  # an empty stage, not "nan"
    assert "fallback_level" not in score(typed(read_results([_run(tmp_path, "old", 0)])))["all"]
