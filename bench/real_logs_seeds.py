"""Leave-one-system-out over several seeds: the mean and range of each figure.

`bench/real_logs.py --seed N` draws the generated training rows, their held-out
templates and the out-of-fold groups of the calibration and the threshold. One seed's
14 folds are one draw, and the draw moves whole templates: over seeds 42 and 1-4 the
same recipe gave accuracy 0.816-0.869 and Proxifier 0.050-0.526 (docs/real-logs.md).
Compare recipes over seeds, not on one table. This script scores the per-line answers
of several runs with real_logs' own figures. It refits nothing. It prints one JSON line:
per figure (served, with the level, line-weighted) the mean, min and max over the runs;
accuracy without the level; each system's accuracy range; each run's worst system.
Usage (a run split over processes joins its files with a comma):
    python bench/real_logs.py --seed 1 --no-v4 --results r_s1.csv   # one per seed
    python bench/real_logs_seeds.py --runs r_s42_a.csv,r_s42_b.csv r_s1.csv r_s2.csv
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.real_logs import read_results, score, typed  # noqa: E402

FIGURES = ("accuracy", "coverage", "accuracy_answered", "confidently_wrong",
           "confidently_wrong_if_calibrated", "ece", "ece_if_calibrated", "problem_recall",
           "false_alarms")


def spread(values: list[float]) -> dict[str, float]:
    return {"mean": round(float(np.mean(values)), 4), "min": round(float(min(values)), 4),
            "max": round(float(max(values)), 4)}


def summarise(runs: list[list[Path]]) -> dict[str, object]:
    """Mean and range over runs of the pooled figures, and per-system accuracy ranges."""
    tables = [score(typed(read_results(files))) for files in runs]
    systems = sorted(k for k in tables[0] if k != "all")
    for files, table in zip(runs, tables, strict=True):
        if sorted(k for k in table if k != "all") != systems:
            raise SystemExit(f"{','.join(map(str, files))} holds other systems than the first "
                             "run: every run must cover the same systems")
    pooled = [t["all"] for t in tables]
    out: dict[str, object] = {
        "bench": "real_logs_seeds", "runs": len(runs), "systems": len(systems),
        "lines": pooled[0]["lines"],
        **{f"served_level_{f}": spread([p["served_level"][f] for p in pooled])  # type: ignore[index]
           for f in FIGURES},
        "served_no_level_accuracy": spread([p["served_no_level"]["accuracy"]  # type: ignore[index]
                                            for p in pooled]),
        "system_accuracy": {s: [round(float(min(v)), 4), round(float(max(v)), 4)] for s, v in (
            (s, [t[s]["served_level"]["accuracy"] for t in tables])  # type: ignore[index]
            for s in systems)},
        "worst_system": [min((t[s]["served_level"]["accuracy"], s)  # type: ignore[index]
                             for s in systems) for t in tables]}
    if all("fallback_level" in p for p in pooled):  # runs since session 13
        out |= {f"fallback_level_{f}": spread([p["fallback_level"][f] for p in pooled])  # type: ignore[index]
                for f in FIGURES}
        out["fallback_no_level_accuracy"] = spread([p["fallback_no_level"]["accuracy"]  # type: ignore[index]
                                                    for p in pooled])
        out["fallback_worst_system"] = [min((t[s]["fallback_level"]["accuracy"], s)  # type: ignore[index]
                                            for s in systems) for t in tables]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", required=True,
                        help="one argument per run (seed): its --results file(s), comma-joined")
    opts = parser.parse_args()
    runs = [[Path(p) for p in arg.split(",") if p] for arg in opts.runs]
    print(json.dumps(summarise(runs)))


if __name__ == "__main__":
    main()
