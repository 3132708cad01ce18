"""What a step-tagger figure means: baselines, thin classes and the case split.

A macro-F1 alone says little: on BPI 2013 the most common step is 63% of events, and one
class with a single held-out event moves macro-F1 by a quarter of its weight. So the
report carries, from the same split:

- **majority**: every event gets the step most common in the training events;
- **position**: the step most common at the event's position in its case (1st, 2nd...,
  positions past the longest training case share the last), learnt on training events;
- **event**: the step most common for the event's value (`columns.event`) in training
  (unseen values get the majority step) - a lookup table a sequence model must beat;
- **support**: classes with fewer than `MIN_SUPPORT` held-out events are flagged, and
  macro-F1 over the classes with enough support is given beside the full figure;
- **split**: cases and events in train / validation / test.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

from backend.sessions.encoders import as_text
from backend.sessions.features import Events
from training.quality import quality_warnings
from training.steps.data import Splits

MIN_SUPPORT = 5
MAX_POSITION = 200


def _positions(events: Events) -> np.ndarray:
    """0-based position of each event in its case (events are sorted by case and time)."""
    lengths = np.diff(events.offsets)
    starts = np.repeat(events.offsets[:-1], lengths)
    return np.minimum(np.arange(len(events.frame)) - starts, MAX_POSITION)


def _scores(truth: pd.Series, guess: pd.Series, labels: list[str]) -> dict[str, float]:
    return {"accuracy": round(float(accuracy_score(truth, guess)), 4),
            "macro_f1": round(float(f1_score(truth, guess, labels=labels, average="macro",
                                             zero_division=0)), 4)}


def baselines(splits: Splits, label: str, event: str) -> dict[str, dict[str, Any]]:
    """Majority, position and event-lookup baselines scored on the test events."""
    train_y = as_text(splits.train.frame[label])
    test_y = as_text(splits.test.frame[label])
    majority = str(train_y.value_counts().idxmax())
    out: dict[str, dict[str, Any]] = {
        "majority": {"step": majority, **_scores(test_y, pd.Series(majority, test_y.index),
                                                 splits.labels)}}
    by_position = (pd.DataFrame({"p": _positions(splits.train), "y": train_y.to_numpy()})
                   .groupby("p")["y"].agg(lambda s: s.value_counts().idxmax()))
    last = int(by_position.index.max())
    guess = pd.Series(np.minimum(_positions(splits.test), last)).map(by_position)
    out["position"] = _scores(test_y, guess.fillna(majority).set_axis(test_y.index),
                              splits.labels)
    train_e = as_text(splits.train.frame[event])
    lookup = (pd.DataFrame({"e": train_e.to_numpy(), "y": train_y.to_numpy()})
              .groupby("e")["y"].agg(lambda s: s.value_counts().idxmax()))
    guess = as_text(splits.test.frame[event]).map(lookup).fillna(majority)
    out["event"] = {"column": event, **_scores(test_y, guess, splits.labels)}
    return out


def support_check(per_class: dict[str, dict[str, float]], macro_f1: float) -> dict[str, Any]:
    """Classes with fewer than MIN_SUPPORT test events, and macro-F1 without them."""
    low = [{"step": name, "support": int(m["support"])} for name, m in per_class.items()
           if m["support"] < MIN_SUPPORT]
    enough = [m["f1-score"] for m in per_class.values() if m["support"] >= MIN_SUPPORT]
    return {"min_support": MIN_SUPPORT, "low_support": low,
            "macro_f1_all_classes": macro_f1,
            "macro_f1_supported": round(float(np.mean(enough)), 4) if enough else None,
            "supported_classes": len(enough)}


def case_split(splits: Splits) -> dict[str, dict[str, int]]:
    """Cases and events per split."""
    return {name: {"cases": len(part.offsets) - 1, "events": len(part.frame)}
            for name, part in (("train", splits.train), ("validation", splits.val),
                               ("test", splits.test))}


def warnings_for(report: dict[str, Any]) -> list[str]:
    """Plain sentences for the CLI and report.md: thin classes, beaten baselines."""
    out = []
    support = report.get("support") or {}
    if support.get("low_support"):
        names = ", ".join(f"{c['step']} ({c['support']})" for c in support["low_support"])
        out.append(f"{len(support['low_support'])} class(es) have fewer than "
                   f"{support['min_support']} held-out events: {names}; their F1 is noise. "
                   f"Macro-F1 over the {support['supported_classes']} classes with enough "
                   f"support: {support['macro_f1_supported']} (all classes: "
                   f"{support['macro_f1_all_classes']}).")
    majority = (report.get("baselines") or {}).get("majority")
    if majority and "accuracy" in majority and "selective" in report:
        out += quality_warnings(report["token_accuracy"], report["selective"]["coverage"],
                                majority["step"], majority["accuracy"], unit="events")
    for name, base in (report.get("baselines") or {}).items():
        if base["macro_f1"] >= report["macro_f1"]:
            out.append(f"the {name} baseline's macro-F1 ({base['macro_f1']}) is not below "
                       f"the model's ({report['macro_f1']}).")
    return out
