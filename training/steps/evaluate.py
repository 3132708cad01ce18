"""Evaluation: loss, accuracy, macro-F1, report, selective metrics, curve, top confusions.

Everything lands in one dict (-> report.json), rendered as report.md, plus
coverage_accuracy.png.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import classification_report, f1_score

from backend.core.calibration import precision_curve


def _selective(pred: np.ndarray, y: np.ndarray, conf: np.ndarray, threshold: float
               ) -> dict[str, float]:
    covered = conf >= threshold
    if not covered.any():
        return {"threshold": threshold, "coverage": 0.0, "accuracy": 0.0, "macro_f1": 0.0}
    return {"threshold": threshold, "coverage": round(float(covered.mean()), 4),
            "accuracy": round(float((pred[covered] == y[covered]).mean()), 4),
            "macro_f1": round(float(f1_score(y[covered], pred[covered], average="macro",
                                             zero_division=0)), 4)}


def coverage_curve(pred: np.ndarray, y: np.ndarray, conf: np.ndarray) -> list[dict[str, float]]:
    """Accuracy of the covered events as the threshold rises."""
    points = []
    for threshold in np.round(np.linspace(0.0, 0.99, 34), 3).tolist() + [0.995, 0.999]:
        covered = conf >= threshold
        if covered.any():
            points.append({"threshold": threshold, "coverage": round(float(covered.mean()), 4),
                           "accuracy": round(float((pred[covered] == y[covered]).mean()), 4)})
    return points


def evaluate(probs: np.ndarray, y: np.ndarray, labels: list[str], threshold: float,
             top: int = 10) -> dict[str, Any]:
    """Metrics over labelled events (`y` indexes `labels`; rows with y < 0 are skipped)."""
    keep = y >= 0
    probs, y = probs[keep], y[keep]
    pred, conf = probs.argmax(axis=1), probs.max(axis=1)
    loss = float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, None)).mean())
    ids = list(range(len(labels)))
    report = classification_report(y, pred, labels=ids, target_names=labels, output_dict=True,
                                   zero_division=0)
    wrong = pred != y
    pairs = Counter(zip(y[wrong].tolist(), pred[wrong].tolist(), strict=True))
    support = np.bincount(y, minlength=len(labels))
    confusions = [{"true": labels[t], "predicted": labels[p], "count": c,
                   "share_of_errors": round(c / max(int(wrong.sum()), 1), 4),
                   "share_of_true_class": round(c / max(int(support[t]), 1), 4)}
                  for (t, p), c in pairs.most_common(top)]
    per_class = {name: {k: round(float(v), 4) for k, v in report[name].items()}
                 for name in labels}
    return {
        "events": int(len(y)), "loss": round(loss, 5),
        "token_accuracy": round(float((pred == y).mean()), 4),
        "macro_f1": round(float(f1_score(y, pred, labels=ids, average="macro",
                                         zero_division=0)), 4),
        "selective": _selective(pred, y, conf, threshold),
        "curve": coverage_curve(pred, y, conf),
        "precision_curve": precision_curve(conf, pred == y),
        "top_confusions": confusions, "per_class": per_class,
    }


def plot_curve(curve: list[dict[str, float]], selective: dict[str, float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.6), dpi=90)
    ax.plot([p["coverage"] for p in curve], [p["accuracy"] for p in curve], marker=".")
    ax.scatter([selective["coverage"]], [selective["accuracy"]], color="red", zorder=3,
               label=f"threshold {selective['threshold']:.2f}")
    ax.set_xlabel("coverage (share of events not abstained)")
    ax.set_ylabel("token accuracy on covered events")
    ax.set_title("Step tagger: coverage vs accuracy (held-out sessions)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def to_markdown(report: dict[str, Any], title: str = "Step tagger evaluation") -> str:
    s = report["selective"]
    lines = [f"# {title}", "", f"Held-out events: {report['events']:,}", "",
             "| metric | value |", "|---|---|", f"| loss | {report['loss']} |",
             f"| token accuracy | {report['token_accuracy']} |",
             f"| macro-F1 | {report['macro_f1']} |",
             f"| threshold | {s['threshold']} |", f"| coverage at threshold | {s['coverage']} |",
             f"| accuracy at threshold | {s['accuracy']} |",
             f"| macro-F1 at threshold | {s['macro_f1']} |", "",
             "![coverage vs accuracy](coverage_accuracy.png)", ""]
    lines += _context(report)
    calibration = report.get("calibration") or {}
    if calibration.get("target_precision"):
        lines += ["## Calibrated abstention", "",
                  f"Temperature {calibration.get('temperature')} and threshold "
                  f"{calibration.get('threshold')} were chosen on "
                  f"{calibration.get('validation_events')} validation events for a target "
                  f"precision of {calibration['target_precision']} (validation precision "
                  f"{calibration.get('validation_precision')}, coverage "
                  f"{calibration.get('validation_coverage')}).", ""]
        floor = calibration.get("validation_precision_answering_all")
        if floor is not None and floor >= calibration["target_precision"]:
            lines += [f"Answering every validation event already gives precision {floor}, "
                      "at or above the target, so the threshold answers everything: no "
                      "threshold can bring precision down to the target. Raise "
                      "`--target-precision` to trade coverage for precision.", ""]
    lines += ["## Coverage vs precision (held-out events, most confident first)", "",
              "| coverage | threshold | precision |", "|---|---|---|"]
    lines += [f"| {p['coverage']} | {p['threshold']} | {p['precision']} |"
              for p in report.get("precision_curve", [])]
    lines += ["", "## Top confusions", "",
             "| true | predicted | count | share of errors | share of true class |",
             "|---|---|---|---|---|"]
    lines += [f"| {c['true']} | {c['predicted']} | {c['count']} | {c['share_of_errors']} | "
              f"{c['share_of_true_class']} |" for c in report["top_confusions"]]
    lines += ["", "## Per class", "", "| step | precision | recall | F1 | support |",
              "|---|---|---|---|---|"]
    lines += [f"| {name} | {m['precision']} | {m['recall']} | {m['f1-score']} | "
              f"{int(m['support'])} |" for name, m in report["per_class"].items()]
    return "\n".join(lines) + "\n"


def _context(report: dict[str, Any]) -> list[str]:
    """Case split, baselines and thin-class warnings (reports from before them have none)."""
    from training.steps.baselines import warnings_for

    lines = []
    split = report.get("split")
    if split:
        lines += ["## Case split", "", "| split | cases | events |", "|---|---|---|"]
        lines += [f"| {name} | {p['cases']:,} | {p['events']:,} |" for name, p in split.items()]
        lines.append("")
    base = report.get("baselines")
    if base:
        lines += ["## Baselines (same test cases)", "", "| tagger | accuracy | macro-F1 |",
                  "|---|---|---|",
                  f"| this model | {report['token_accuracy']} | {report['macro_f1']} |"]
        names = {"majority": f"majority step (`{base['majority'].get('step')}`)",
                 "position": "most common step at the event's position in its case",
                 "event": f"most common step per `{base.get('event', {}).get('column')}`"}
        lines += [f"| {names.get(k, k)} | {b['accuracy']} | {b['macro_f1']} |"
                  for k, b in base.items()]
        lines.append("")
    support = report.get("support")
    if support:
        lines += [f"Macro-F1 over the {support['supported_classes']} classes with at least "
                  f"{support['min_support']} test events: **{support['macro_f1_supported']}** "
                  f"(all classes: {support['macro_f1_all_classes']}).", ""]
    lines += [f"> **Warning:** {w}" for w in warnings_for(report)]
    return [*lines, ""] if lines else []


def write_report(report: dict[str, Any], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    (folder / "report.md").write_text(to_markdown(report), encoding="utf-8")
    plot_curve(report["curve"], report["selective"], folder / "coverage_accuracy.png")
