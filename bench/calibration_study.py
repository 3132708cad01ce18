"""Replay leave-one-system-out folds under other confidence calibrations, without refitting.

`bench/real_logs.py --studies DIR` keeps, per fold, the out-of-fold inputs the distance
calibration was fitted on (inside the fold: the 13 training systems and the generated
data) and the raw stage probabilities and similarities of the left-out system's lines.
This script refits only the calibration and the abstain threshold per fold, for each
variant in `backend.logs.distance` / `training.logs.distance`, replays the cascade on the
test lines, and scores them with bench/real_logs.py's own figures. Nothing it fits sees
the test system. The variant `v5` must reproduce real_logs' served answers (checked).
Prints one JSON line: the pooled line-weighted figures per variant.
Usage: python bench/calibration_study.py --studies .cache/real_logs/study \\
           --results .cache/real_logs/r_*.csv [--variants v5 v6 ...] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from backend.logs.distance import second_opinion  # noqa: E402
from backend.logs.llm.base import UNCLASSIFIED  # noqa: E402
from bench.real_logs import CACHE, figures, read_results, typed  # noqa: E402
from training.logs.distance import CalibrationOptions, fit_calibration  # noqa: E402
from training.logs.train import MAX_THRESHOLD  # noqa: E402

VARIANTS: dict[str, CalibrationOptions] = {
    # v5 as shipped: one curve per stage on every out-of-fold row, threshold at 95% precision
    "v5": CalibrationOptions(),
    "real_rows": CalibrationOptions(real_only=True),
    "by_label": CalibrationOptions(by_label=True),
    "real_rows_by_label": CalibrationOptions(real_only=True, by_label=True),
    "minilm_floor": CalibrationOptions(minilm_floor_quantile=0.01),
    "p925": CalibrationOptions(target_precision=0.925),
    "p90": CalibrationOptions(target_precision=0.90),
    "by_label_p90": CalibrationOptions(by_label=True, target_precision=0.90),
    # v6: per-label bias, the MiniLM floor, threshold at 90% precision out of fold
    "v6_floor_half_pct": CalibrationOptions(by_label=True, target_precision=0.90,
                                            minilm_floor_quantile=0.005),
    "v6": CalibrationOptions(by_label=True, target_precision=0.90, minilm_floor_quantile=0.01),
    # v6 + the fast stage's opinion of MiniLM's answer in the full stage's calibration
    "v6_fast_opinion": CalibrationOptions(by_label=True, target_precision=0.90,
                                          minilm_floor_quantile=0.01, fast_opinion=True),
}


_MINILM: dict[str, np.ndarray] = {}


def minilm_vectors(keys: list[str]) -> np.ndarray:
    """The MiniLM vectors of keys, from real_logs' cache (every fold's keys are in it)."""
    if not _MINILM:
        with np.load(CACHE / "minilm.npz", allow_pickle=False) as data:
            _MINILM.update(zip((str(k) for k in data["keys"]), data["vectors"], strict=True))
    return np.stack([_MINILM[k] for k in keys])


def replay(study: dict[str, np.ndarray], prefix: str, options: CalibrationOptions,
           keys: list[str], seed: int = 42) -> pd.DataFrame:
    """Served label/confidence and best guess per test line under `options`."""
    oof = {k[4:]: study[k] for k in study if k.startswith("oof_")}
    oof_keys = [str(k) for k in oof["keys"]]
    floor = options.minilm_floor_quantile is not None
    fast_oof = oof["fast_proba"] if oof["fast_proba"].size else None
    classes = [str(c) for c in study["head_classes"]]
    calibration, threshold, _ = fit_calibration(
        oof["space"], oof_keys, oof["y_idx"], oof["groups"],
        oof["full_proba"], fast_oof, float(oof["cascade_threshold"]), oof["weights"],
        options, classes, seed, minilm=minilm_vectors(oof_keys) if floor else None)
    threshold = min(threshold, MAX_THRESHOLD)
    full = study[f"{prefix}_full_proba"]
    sims = study[f"{prefix}_similarity"]
    label_idx, conf = full.argmax(1), full.max(1)
    stage = np.full(len(full), "full", dtype=object)
    answered = [classes[i] for i in label_idx]
    opinion = (second_opinion(answered, study[f"{prefix}_fast_proba"], classes)
               if calibration.reads_opinion("full") else None)
    served = calibration.calibrate(conf, sims, "full", answered, opinion)
    if floor:
        served = calibration.chance(served, calibration.minilm_known(minilm_vectors(keys)))
    if f"{prefix}_fast_proba" in study:
        fast = study[f"{prefix}_fast_proba"]
        use_fast = (fast.max(1) >= float(oof["cascade_threshold"])) & ~calibration.novel(keys)
        fast_served = calibration.calibrate(fast.max(1), sims, "fast",
                                            [classes[i] for i in fast.argmax(1)])
        label_idx = np.where(use_fast, fast.argmax(1), label_idx)
        served = np.where(use_fast, fast_served, served)
        stage = np.where(use_fast, "fast", stage)
    guess = [classes[i] for i in label_idx]
    answered = served >= threshold
    return pd.DataFrame({
        "label": [g if a else UNCLASSIFIED for g, a in zip(guess, answered, strict=True)],
        "confidence": served, "tier": np.where(answered, "model", "abstained"), "stage": stage,
        "guess": guess, "guess_conf": served})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=Path, required=True)
    parser.add_argument("--results", type=Path, nargs="+", required=True)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS))
    parser.add_argument("--per-system", action="store_true")
    parser.add_argument("--seed", type=int, default=42,
                        help="the --seed of the real_logs run that wrote the studies (it "
                             "draws the out-of-fold groups the calibration is fitted on)")
    parser.add_argument("--write-results", type=Path, default=None,
                        help="write real_logs' per-line results with the first variant's "
                             "answers in place of the fold's own (score them with "
                             "bench/real_logs.py --from-results)")
    opts = parser.parse_args()
    results = typed(read_results(opts.results))
    out: dict[str, object] = {"bench": "calibration_study"}
    written = results.copy()
    for variant in opts.variants:
        for prefix in ("lvl", "nolvl"):
            parts = []
            for system in sorted(results["source"].unique()):
                truth = results[results["source"] == system].reset_index(drop=True)
                with np.load(opts.studies / f"{system}.npz", allow_pickle=False) as data:
                    study = dict(data)
                got = replay(study, prefix, VARIANTS[variant], list(truth["key"]), opts.seed)
                rules = (truth[f"{prefix}_tier"] == "rules").to_numpy()
                for column in ("label", "confidence", "guess", "guess_conf"):
                    got.loc[rules, column] = truth.loc[rules, f"{prefix}_{column}"].to_numpy()
                if variant == "v5":
                    same = (got["label"].to_numpy() == truth[f"{prefix}_label"].to_numpy())
                    out[f"replay_agreement_{prefix}_{system}"] = round(float(same.mean()), 4)
                if opts.per_system:
                    f = figures(truth, got, np.ones(len(truth)))
                    out[f"{variant}_{prefix}_{system}"] = {
                        k: f[k] for k in ("accuracy", "coverage", "confidently_wrong", "ece",
                                          "problem_recall", "false_alarms")}
                parts.append((truth, got))
                if variant == opts.variants[0]:
                    rows = np.flatnonzero(results["source"].to_numpy() == system)
                    for column in ("label", "confidence", "guess", "guess_conf"):
                        written.loc[rows, f"{prefix}_{column}"] = got[column].to_numpy()
                    tier = np.where(rules, "rules", np.where(got["label"] == UNCLASSIFIED,
                                                             "abstained", "model"))
                    written.loc[rows, f"{prefix}_tier"] = tier
                    written.loc[rows, f"{prefix}_stage"] = np.where(rules, "", got["stage"])
            truth = pd.concat([t for t, _ in parts], ignore_index=True)
            got = pd.concat([g for _, g in parts], ignore_index=True)
            f = figures(truth, got, np.ones(len(truth)))
            out[f"{variant}_{prefix}"] = {k: f[k] for k in (
                "accuracy", "coverage", "accuracy_answered", "confidently_wrong", "ece",
                "problem_recall", "false_alarms")}
    if opts.write_results is not None:
        written.to_csv(opts.write_results, index=False)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
