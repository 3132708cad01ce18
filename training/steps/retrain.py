"""Gated retrain of a step model with the users' step corrections.

Base data = the log the current version was trained on (its manifest's `data`,
or the seeded generator for a model trained on generated sessions), split by
the same seed, so the current version and the candidate are scored on the
*same* held-out sessions (the protected set no client can write). Corrected
events become training sessions of their own (`feedback:<session>`); one in
five corrections (by key) is held out and scored too once there are ten.
The candidate is published only if `backend.registry.gate.decide` says it is
not worse on either.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backend.feedback.store import LabelledExample
from backend.registry.base import PublishingStore
from backend.registry.gate import RetrainReport, decide, is_heldout
from backend.registry.manifest import Manifest
from backend.sessions.config import StepsConfig, dump_config, parse_config
from backend.sessions.encoders import VectorSource
from backend.sessions.features import Events, prepare_events
from backend.sessions.feedback import corrections_frame
from backend.sessions.predictor import StepPredictor, predict_encoded
from training.steps.data import Splits, data_hash, label_ids, read_events, split_sessions
from training.steps.evaluate import write_report
from training.steps.pipeline import KIND, evaluate_events
from training.steps.trainer import StepTrainer

logger = logging.getLogger(__name__)

GENERATED_SESSIONS = 900  # the default model's generated training sessions


def base_frame(manifest: Manifest, config: StepsConfig) -> pd.DataFrame:
    """The current version's training data: its stored path, else the seeded generator."""
    path = manifest.params.get("data")
    if path and Path(path).is_file():
        return read_events(Path(path))
    if config.columns.session != "session_id":
        raise ValueError(f"the training data of {manifest.name} {manifest.version} "
                         f"({path or 'not recorded'}) is not available: retrain it with "
                         "train-steps on its log")
    from training.steps.generator import generate_sessions

    sessions = int(manifest.params.get("generated_sessions") or GENERATED_SESSIONS)
    return generate_sessions(sessions, seed=config.seed)


def _concat(a: Events, b: Events) -> Events:
    offsets = np.r_[a.offsets, b.offsets[1:] + a.offsets[-1]].astype(np.int64)
    return Events(pd.concat([a.frame, b.frame], ignore_index=True),
                  np.r_[a.order, b.order + len(a.frame)].astype(np.int64), offsets,
                  np.r_[a.seconds, b.seconds])


def _accuracy(predictor: StepPredictor, events: Events | None, label: str) -> float | None:
    if events is None or not len(events.frame):
        return None
    probs = predict_encoded(predictor.net, predictor.featurizer.transform(events),
                            temperature=predictor.temperature)
    y = label_ids(events, label, predictor.labels, -1)[:-1]
    pred = probs.argmax(axis=1)
    return round(float(np.mean(np.where(y >= 0, pred == y, False))), 4)


def _feedback_events(examples: list[LabelledExample], config: StepsConfig) -> Events | None:
    cols = config.columns
    frame = corrections_frame(examples, [*cols.required, *cols.features], cols.label)
    if frame.empty:
        return None
    frame[cols.session] = "feedback:" + frame[cols.session].astype(str)
    return prepare_events(frame, cols, require=[cols.label])


def score(predictor: StepPredictor, splits: Splits, heldout: Events | None,
          label: str) -> dict[str, Any]:
    report = evaluate_events(predictor, splits.test, label, predictor.threshold)
    return {"accuracy": report["token_accuracy"], "macro_f1": report["macro_f1"],
            "corrections_accuracy": _accuracy(predictor, heldout, label)}


def retrain_steps(store: PublishingStore, name: str, text_source: VectorSource | None,
                  examples: list[LabelledExample], *, current_version: str = "latest",
                  tolerance: float = 0.0, epochs: int | None = None) -> RetrainReport:
    """Merge corrections, train a candidate, gate it on the same held-out sessions."""
    folder, manifest = store.open(name, current_version)
    current = StepPredictor.from_pretrained(folder, text_source, manifest.version)
    config = parse_config({k: v for k, v in manifest.params.items()
                           if k in StepsConfig.model_fields}, f"{name} {manifest.version}")
    label = config.columns.label
    splits = split_sessions(base_frame(manifest, config), config)
    held = [e for e in examples if is_heldout(e.input_key, len(examples))]
    train = [e for e in examples if not is_heldout(e.input_key, len(examples))]
    heldout, extra = _feedback_events(held, config), _feedback_events(train, config)
    new_labels = sorted({e.label for e in examples} - set(splits.labels))
    labels = sorted(set(splits.labels) | {e.label for e in examples})
    merged = Splits(_concat(splits.train, extra) if extra is not None else splits.train,
                    splits.val, splits.test, labels)
    report = RetrainReport(False, "", manifest.version, None, corrections=len(examples),
                           heldout_corrections=len(held), new_labels=new_labels)
    report.current = score(current, splits, heldout, label)
    result = StepTrainer(config, text_source, progress=False).fit(merged, epochs)
    report.candidate = score(result.predictor, splits, heldout, label)
    promote, report.reason = decide(report.candidate, report.current, manifest.version,
                                    tolerance)
    if not promote:
        logger.info("step retrain of %s not promoted: %s", name, report.reason)
        return report
    params = {**config.model_dump(mode="json"), "data": manifest.params.get("data"),
              "retrained_from": manifest.version}
    candidate = Manifest(name=name, kind=KIND, data_hash=data_hash(merged.train.frame),
                         labels=labels, metrics={**report.candidate,
                                                 "threshold": result.predictor.threshold},
                         params=params)
    with store.staging(name) as staged:
        result.predictor.save_pretrained(staged)
        dump_config(config, staged / "config.yaml")
        write_report(evaluate_events(result.predictor, splits.test, label,
                                     result.predictor.threshold), staged)
        published = store.publish(staged, candidate)
    report.promoted, report.candidate_version = True, published.version
    report.mirrored = getattr(store, "mirrored", None)
    return report
