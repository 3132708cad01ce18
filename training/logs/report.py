"""Evaluation report of a log model: JSON, Markdown and a confusion-matrix PNG."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.metrics import confusion_matrix

from training.plots import plot_confusion
from training.quality import majority_baseline, quality_warnings


def quality_figures(train_labels: pd.Series, test_labels: pd.Series, metrics: dict[str, Any]
                    ) -> dict[str, Any]:
    """The majority-label baseline on the held-out rows and the warnings it leads to."""
    label, accuracy = majority_baseline(train_labels.astype(str), test_labels.astype(str))
    return {"baseline_label": label, "baseline_majority_accuracy": accuracy,
            "warnings": quality_warnings(float(metrics["accuracy"]),
                                         float(metrics["coverage_at_threshold"]), label,
                                         accuracy, unit="rows")}


def write_report(folder: Path, metrics: dict[str, Any], test: pd.DataFrame) -> None:
    """Writes report.json, report.md and confusion_matrix.png into `folder`."""
    predictions = metrics.pop("predictions")
    truth = list(test["target_label"])
    labels = sorted(set(truth) | set(predictions))
    matrix = confusion_matrix(truth, predictions, labels=labels)
    plot_confusion(matrix, labels, folder / "confusion_matrix.png",
                   f"log-classifier on held-out templates (n={len(truth)})")
    report = {**metrics, "confusion_matrix": {"labels": labels, "counts": matrix.tolist()}}
    (folder / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Log classifier evaluation", "",
        f"Held-out split by template: {metrics['test_rows']} rows from "
        f"{metrics['test_templates']} templates never seen in training.", "",
    ]
    if metrics.get("warnings"):
        lines += ["## Warnings", "", *(f"- **{w}**" for w in metrics["warnings"]), ""]
    lines += ["| metric | value |", "|---|---|"]
    for key in ("accuracy", "macro_f1", "threshold", "coverage_at_threshold",
                "accuracy_at_threshold", "macro_f1_at_threshold", "baseline_majority_accuracy"):
        if key in metrics:
            lines.append(f"| {key} | {metrics[key]} |")
    if "cv_model_tier_accuracy" in metrics:
        lines += ["", f"Model tier alone, {metrics['cv_folds']}-fold template-grouped "
                      f"cross-validation on the training templates: accuracy "
                      f"{metrics['cv_model_tier_accuracy']} "
                      f"(± {metrics['cv_model_tier_accuracy_std']}), macro-F1 "
                      f"{metrics['cv_model_tier_macro_f1']}."]
    lines += ["", "## Per class (no abstention)", "", "| label | precision | recall | f1 | n |",
              "|---|---|---|---|---|"]
    for label in sorted(set(truth)):
        row = metrics["per_class"][label]
        lines.append(f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | "
                     f"{row['f1-score']:.3f} | {int(row['support'])} |")
    lines += ["", f"Tiers that answered: {metrics['by_tier']}", "",
              "![confusion matrix](confusion_matrix.png)", ""]
    (folder / "report.md").write_text("\n".join(lines), encoding="utf-8")
