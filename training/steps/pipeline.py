"""train-steps end to end: read, split by session, train, evaluate on test, publish."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.registry.local import LocalModelStore
from backend.registry.manifest import Manifest
from backend.sessions.config import StepsConfig, dump_config
from backend.sessions.encoders import VectorSource
from backend.sessions.features import Events
from backend.sessions.predictor import StepPredictor, predict_encoded
from training.quality import log_warnings
from training.steps.baselines import baselines, case_split, support_check, warnings_for
from training.steps.data import data_hash, label_ids, read_events, split_sessions
from training.steps.evaluate import evaluate, write_report
from training.steps.trainer import StepTrainer

logger = logging.getLogger(__name__)

MODEL_NAME = "step-tagger"
KIND = "step-tagger"


@dataclass
class TrainOutcome:
    manifest: Manifest
    report: dict[str, Any]
    folder: Path


def evaluate_events(predictor: StepPredictor, events: Events, label_column: str,
                    threshold: float, top: int = 10) -> dict[str, Any]:
    encoded = predictor.featurizer.transform(events)
    probs = predict_encoded(predictor.net, encoded, temperature=predictor.temperature)
    y = label_ids(events, label_column, predictor.labels, -1)[:-1]
    return evaluate(probs, y, predictor.labels, threshold, top)


def train_steps(data: Path, config: StepsConfig, text_source: VectorSource | None,
                store: LocalModelStore, name: str = MODEL_NAME, progress: bool = True,
                version: str | None = None) -> TrainOutcome:
    """Train on a labelled event CSV and publish `models/<name>/<version>/`."""
    frame = read_events(data)
    splits = split_sessions(frame, config)
    logger.info("sessions: %d train / %d val / %d test; %d labels",
                len(splits.train.offsets) - 1, len(splits.val.offsets) - 1,
                len(splits.test.offsets) - 1, len(splits.labels))
    result = StepTrainer(config, text_source, progress=progress).fit(splits)
    predictor = result.predictor
    threshold = predictor.threshold
    report = evaluate_events(predictor, splits.test, config.columns.label, threshold,
                             config.evaluation.top_confusions)
    report["calibration"] = {**predictor.calibration, "threshold": threshold}
    report["split"] = case_split(splits)
    report["baselines"] = baselines(splits, config.columns.label, config.columns.event)
    report["support"] = support_check(report["per_class"], report["macro_f1"])
    report["training"] = {"best_epoch": result.best_epoch,
                          "best_val_macro_f1": result.best_val_macro_f1,
                          "history": result.history}
    s = report["selective"]
    metrics = {"macro_f1": report["macro_f1"], "token_accuracy": report["token_accuracy"],
               "loss": report["loss"], "threshold": threshold, "coverage_at_threshold":
               s["coverage"], "accuracy_at_threshold": s["accuracy"],
               "macro_f1_at_threshold": s["macro_f1"], "test_events": report["events"],
               "best_val_macro_f1": result.best_val_macro_f1,
               "temperature": predictor.temperature,
               "target_precision": config.evaluation.target_precision,
               "macro_f1_supported": report["support"]["macro_f1_supported"],
               "majority_baseline_macro_f1": report["baselines"]["majority"]["macro_f1"],
               "position_baseline_macro_f1": report["baselines"]["position"]["macro_f1"],
               "test_cases": report["split"]["test"]["cases"]}
    manifest = Manifest(name=name, kind=KIND, data_hash=data_hash(frame), labels=predictor.labels,
                        metrics=metrics, params={**config.model_dump(mode="json"),
                                                 "data": str(Path(data).resolve())})
    log_warnings(name, warnings_for(report))
    with store.staging(name) as staged:
        predictor.save_pretrained(staged)
        dump_config(config, staged / "config.yaml")
        write_report(report, staged)
        published = store.publish(staged, manifest, version)
    folder = store.path(name, published.version)
    logger.info("published %s %s: %s", name, published.version, metrics)
    return TrainOutcome(published, report, folder)
