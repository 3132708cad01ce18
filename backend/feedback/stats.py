"""Turn grouped counts into accept rates per model, version (A/B variant) and label."""

from __future__ import annotations

from collections import defaultdict
from typing import Any


def _rate(accepted: int, total: int) -> float | None:
    return round(accepted / total, 4) if total else None


def _bucket() -> dict[str, Any]:
    return {"predictions": 0, "feedback": 0, "accepted": 0, "rejected": 0, "corrected": 0}


def _add(bucket: dict[str, Any], verdict: str, corrected: bool, n: int) -> None:
    bucket["feedback"] += n
    if verdict == "accept":
        bucket["accepted"] += n
    elif corrected or verdict == "correct":
        bucket["corrected"] += n
    else:
        bucket["rejected"] += n


def assemble_stats(feedback_rows: list[tuple[Any, ...]],
                   prediction_rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    """`feedback_rows`: (model, version, variant, predicted, verdict, n);
    `prediction_rows`: (model, version, variant, n)."""
    models: dict[str, dict[str, Any]] = defaultdict(_bucket)
    versions: dict[tuple[str, str, str | None], dict[str, Any]] = defaultdict(_bucket)
    labels: dict[tuple[str, str, str | None], dict[str, dict[str, Any]]] = defaultdict(
        lambda: defaultdict(_bucket))
    for model, version, variant, n in prediction_rows:
        key = (model, version or "unknown", variant)
        models[model]["predictions"] += n
        versions[key]["predictions"] += n
    for model, version, variant, predicted, verdict, n in feedback_rows:
        key = (model, version or "unknown", variant)
        corrected = verdict == "correct"
        _add(models[model], verdict, corrected, n)
        _add(versions[key], verdict, corrected, n)
        _add(labels[key][predicted], verdict, corrected, n)
    out = []
    for model in sorted(models):
        entry = {"model": model, **models[model],
                 "accept_rate": _rate(models[model]["accepted"], models[model]["feedback"]),
                 "versions": []}
        for key in sorted(k for k in versions if k[0] == model):
            bucket = versions[key]
            per_label = {
                label: {**b, "accept_rate": _rate(b["accepted"], b["feedback"])}
                for label, b in sorted(labels[key].items())}
            for b in per_label.values():
                b.pop("predictions")
            entry["versions"].append({
                "version": key[1], "variant": key[2], **bucket,
                "accept_rate": _rate(bucket["accepted"], bucket["feedback"]),
                "labels": per_label})
        out.append(entry)
    return {"models": out}
