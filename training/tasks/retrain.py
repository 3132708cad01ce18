"""Train, and gated retraining, of the task categoriser.

Base data (seeded generator, or a CSV) is split by template; user labels from
the feedback store are merged in (they win over base rows with the same
normalised text, and count `correction_weight` times). A candidate is scored
next to the current version on the same held-out base templates plus held-out
corrections, and is published only if it is not worse on either.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backend.embedding.embedder import Embedder
from backend.feedback.store import LabelledExample
from backend.registry.base import ModelStore, PublishingStore
from backend.registry.gate import RetrainReport, decide, is_heldout
from backend.registry.local import ModelNotFoundError
from backend.registry.manifest import Manifest
from backend.tasks.model import TaskHead
from backend.tasks.text import input_key, task_text
from training.plots import plot_confusion
from training.tasks.evaluate import evaluate
from training.tasks.generator import generate_tasks
from training.tasks.train import TaskTrainer, TaskTrainingArguments, group_split

logger = logging.getLogger(__name__)
KIND = "task-categorizer"


def base_frame(rows: int, seed: int, csv: Path | None = None) -> pd.DataFrame:
    """The base dataset: a CSV with title, description, category (+ template_id), or
    the seeded generator."""
    if csv is None:
        return generate_tasks(rows, seed)
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    missing = {"title", "category"} - set(frame.columns)
    if missing:
        raise ValueError(f"{csv} lacks columns {sorted(missing)}")
    frame["description"] = frame.get("description", "")
    if "template_id" not in frame:
        frame["template_id"] = [input_key(t) for t in frame["title"]]
    return frame


def _texts(frame: pd.DataFrame) -> list[str]:
    return [task_text(t, d) for t, d in zip(frame["title"], frame["description"], strict=True)]


def examples_frame(examples: list[LabelledExample]) -> pd.DataFrame:
    rows = [(e.input.get("title", ""), e.input.get("description") or "", e.label,
             f"feedback-{e.input_key[:8]}", is_heldout(e.input_key, len(examples)))
            for e in examples]
    return pd.DataFrame(rows, columns=["title", "description", "category", "template_id",
                                       "heldout"])


def _score(head: TaskHead, x: np.ndarray, y: list[str], threshold: float) -> dict[str, Any]:
    if len(y) == 0:
        return {"n": 0, "accuracy": None}
    return evaluate(head.predict_proba(x), head.classes, y, threshold)


def fit_candidate(frame: pd.DataFrame, corrections: pd.DataFrame, embedder: Embedder,
                  args: TaskTrainingArguments, threshold: float,
                  checkpoint_dir: Path | None = None
                  ) -> tuple[TaskHead, dict[str, Any], dict[str, Any]]:
    """Train on base-train + trained corrections; return the head, the held-out data and
    the candidate's metrics on it."""
    test = group_split(frame, args.test_size, args.seed)
    train = frame[~test]
    corr_train = corrections[~corrections["heldout"]] if len(corrections) else corrections
    corr_test = corrections[corrections["heldout"]] if len(corrections) else corrections
    overridden = {input_key(t) for t in _texts(corrections)} if len(corrections) else set()
    keep = [input_key(t) not in overridden for t in _texts(train)]
    train = train[keep]
    texts = _texts(train) + (_texts(corr_train) if len(corr_train) else [])
    labels = list(train["category"]) + list(corr_train.get("category", []))
    weights = np.r_[np.ones(len(train)), np.full(len(corr_train), args.correction_weight)]
    classes = sorted(set(labels))
    groups = list(train["template_id"]) + list(corr_train.get("template_id", []))
    head = TaskTrainer(args).fit(embedder.embed(texts), labels, classes, embedder.name, weights,
                                 groups, checkpoint_dir)
    heldout = {
        "base_x": embedder.embed(_texts(frame[test])), "base_y": list(frame[test]["category"]),
        "corr_x": embedder.embed(_texts(corr_test)) if len(corr_test) else np.zeros((0, 1)),
        "corr_y": list(corr_test.get("category", [])),
    }
    return head, heldout, score_heldout(head, heldout, threshold)


def score_heldout(head: TaskHead, heldout: dict[str, Any], threshold: float) -> dict[str, Any]:
    base = _score(head, heldout["base_x"], heldout["base_y"], threshold)
    corr = _score(head, heldout["corr_x"], heldout["corr_y"], threshold)
    return {"accuracy": base.get("accuracy"), "corrections_accuracy": corr.get("accuracy"),
            "heldout": base, "corrections": corr}


def publish(store: PublishingStore, name: str, head: TaskHead, metrics: dict[str, Any],
            params: dict[str, Any]) -> Manifest:
    """Write head + confusion PNG into a staging folder and publish the next version."""
    with store.staging(name) as staged:
        head.save_pretrained(staged)
        if metrics.get("heldout", {}).get("n"):
            confusion = metrics["heldout"]["confusion"]
            plot_confusion(confusion["matrix"], confusion["labels"], staged / "confusion.png",
                           f"{name}: held-out templates")
        manifest = Manifest(name=name, kind=KIND, labels=head.classes, metrics=metrics,
                            params=params, data_hash=str(params.get("data_hash", "")))
        return store.publish(staged, manifest)


def current_head(store: ModelStore, name: str, version: str = "latest"
                 ) -> tuple[TaskHead | None, Manifest | None]:
    try:
        folder, manifest = store.open(name, version)
    except ModelNotFoundError:
        return None, None
    return TaskHead.from_pretrained(folder), manifest


def retrain(store: PublishingStore, name: str, embedder: Embedder,
            examples: list[LabelledExample], *, rows: int, seed: int = 42,
            csv: Path | None = None, current_version: str = "latest",
            tolerance: float = 0.01, threshold: float = 0.7,
            args: TaskTrainingArguments | None = None) -> RetrainReport:
    """Merge, train a candidate, compare with the current version, publish if not worse."""
    args = args or TaskTrainingArguments(seed=seed)
    frame = base_frame(rows, seed, csv)
    corrections = examples_frame(examples)
    head, heldout, cand = fit_candidate(frame, corrections, embedder, args, threshold)
    current, manifest = current_head(store, name, current_version)
    cur = score_heldout(current, heldout, threshold) if current is not None else {}
    new_labels = sorted(set(head.classes) - set(current.classes if current else []))
    report = RetrainReport(False, "", manifest.version if manifest else None, None,
                           cur, cand, len(corrections),
                           int(corrections["heldout"].sum()) if len(corrections) else 0,
                           new_labels)
    promote, report.reason = decide(cand, cur, report.current_version, tolerance)
    if not promote:
        logger.info("candidate not promoted: %s", report.reason)
        return report
    params = {"base_rows": rows, "seed": seed, "base_csv": str(csv) if csv else None,
              "training": args.to_dict(), "corrections": len(corrections),
              "previous_version": report.current_version}
    published = publish(store, name, head, {**cand, "compared_with": cur.get("accuracy")},
                        params)
    report.promoted, report.candidate_version = True, published.version
    report.mirrored = store.mirrored
    return report
