"""Missing indicators, calibrated abstention, header names as users write them, XES input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backend.core.calibration import (
    apply_temperature,
    fit_temperature,
    threshold_for_precision,
)
from backend.core.errors import BadInputError
from backend.sessions.features import FEATURIZER_FILE, SessionFeaturizer, prepare_events
from backend.sessions.predictor import StepPredictor
from backend.sessions.xes import looks_like_xes, read_xes
from tests.utils.xes import frame_to_xes


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)


def test_numeric_blank_is_flagged_not_just_the_mean(predictor: StepPredictor,
                                                    events: pd.DataFrame) -> None:
    featurizer = predictor.featurizer
    assert featurizer.indicator_columns == [*featurizer.columns.numeric,
                                            *featurizer.columns.text]
    sample = events.head(4).copy()
    column = featurizer.columns.numeric[0]
    mean = featurizer.scaler.mean[0]
    sample[column] = [mean, np.nan, mean, np.nan]  # the mean and a blank: same scaled value
    dense = featurizer.transform(prepare_events(sample, featurizer.columns)).dense[:-1]
    flag = len(featurizer.numeric_columns)  # first indicator follows the scaled numerics
    order = prepare_events(sample, featurizer.columns).order
    assert dense[:, 0].tolist() == [0.0] * 4
    assert dense[np.argsort(order), flag].tolist() == [0.0, 1.0, 0.0, 1.0]


def test_model_saved_before_indicators_loads_without_them(predictor: StepPredictor,
                                                          tmp_path: Path) -> None:
    predictor.save_pretrained(tmp_path)
    data = json.loads((tmp_path / FEATURIZER_FILE).read_text())
    del data["features"]["missing_indicators"]
    (tmp_path / FEATURIZER_FILE).write_text(json.dumps(data))
    old = SessionFeaturizer.load(tmp_path, None)
    assert old.indicator_columns == []
    assert old.dense_dim == predictor.featurizer.dense_dim - len(
        predictor.featurizer.indicator_columns)


def test_temperature_is_recovered_from_overconfident_scores() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (4000, 5))
    true_t = 2.5  # labels drawn from softmax(logits / 2.5): softmax(logits) is overconfident
    y = np.array([rng.choice(5, p=p) for p in _softmax(logits / true_t)])
    fitted = fit_temperature(logits, y)
    assert 2.2 <= fitted <= 2.8
    scaled = apply_temperature(_softmax(logits), fitted)
    assert np.allclose(scaled.sum(axis=1), 1.0, atol=1e-6)
    assert (scaled.argmax(1) == logits.argmax(1)).all()  # ranking never changes


def test_threshold_reaches_the_target_with_the_most_coverage() -> None:
    conf = np.array([0.99, 0.95, 0.9, 0.9, 0.8, 0.7, 0.6])
    correct = np.array([1, 1, 1, 0, 1, 0, 0], dtype=bool)
    chosen = threshold_for_precision(conf, correct, 0.8)
    # top-5 (>= 0.8) = 4/5 = 0.8; the 0.9 tie is answered as a whole
    assert chosen == {"threshold": 0.8, "precision": 0.8, "coverage": round(5 / 7, 4),
                      "precision_answering_all": round(4 / 7, 4)}
    assert threshold_for_precision(conf, correct, 1.0)["threshold"] == 0.95


def test_trained_model_stores_calibration(predictor: StepPredictor, tmp_path: Path) -> None:
    assert predictor.calibration["target_precision"] == 0.95
    assert predictor.temperature > 0 and 0.0 < predictor.threshold <= 1.0
    predictor.save_pretrained(tmp_path)
    again = StepPredictor.from_pretrained(tmp_path, None)
    assert (again.temperature, again.threshold) == (predictor.temperature, predictor.threshold)


def test_headers_differing_in_case_and_spacing_are_matched(predictor: StepPredictor,
                                                           events: pd.DataFrame) -> None:
    sample = events.drop(columns=["step_name"]).head(60)
    renamed = sample.rename(columns={"session_id": "Session ID", "timestamp": "TimeStamp",
                                     "event_name": "event.name", "window_title": "Window Title"})
    result = predictor.predict(renamed)
    assert result.warnings == []
    assert np.array_equal(predictor.predict_proba(renamed), predictor.predict_proba(sample))


def test_only_session_timestamp_event_are_required(predictor: StepPredictor,
                                                   events: pd.DataFrame) -> None:
    bare = events[["session_id", "timestamp", "event_name"]].head(50)
    result = predictor.predict(bare)
    assert len(result.frame) == 50 and len(result.warnings) == 1
    for column in predictor.featurizer.columns.features:
        assert repr(column) in result.warnings[0]


def test_xes_round_trip_with_case_attributes(tmp_path: Path) -> None:
    frame = pd.DataFrame({"case:concept:name": ["c1", "c1", "c2"],
                          "concept:name": ["A", "B", "A"],
                          "time:timestamp": ["2020-01-01T10:00:00+00:00",
                                             "2020-01-01T11:00:00+00:00",
                                             "2020-01-02T09:00:00+00:00"],
                          "org:resource": ["r1", "", "r2"],
                          "case:channel": ["web", "web", "mail"]})
    data = frame_to_xes(frame).encode()
    assert looks_like_xes(data) and looks_like_xes(gzip.compress(data), "log.xes.gz")
    assert not looks_like_xes(b"a,b\n1,2\n", "log.csv")
    for payload in (data, gzip.compress(data)):
        read = read_xes(payload)
        assert read["concept:name"].tolist() == ["A", "B", "A"]
        assert read["case:concept:name"].tolist() == ["c1", "c1", "c2"]
        assert read["case:channel"].tolist() == ["web", "web", "mail"]
        assert read["org:resource"].fillna("").tolist() == ["r1", "", "r2"]


def test_xes_with_entities_or_broken_xml_is_refused() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY a "aaaa">]>'
            b"<log><trace><event/></trace></log>")
    with pytest.raises(BadInputError, match="entities"):
        read_xes(bomb)
    with pytest.raises(BadInputError, match="not well-formed"):
        read_xes(b"<log><trace><event></trace></log>")


def test_a_target_below_what_answering_everything_gives_is_reported(
        caplog: pytest.LogCaptureFixture) -> None:
    from tests.sessions.conftest import tiny_config
    from training.steps.evaluate import to_markdown
    from training.steps.trainer import StepTrainer

    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 500)
    probs = np.full((500, 3), 0.02)
    probs[np.arange(500), y] = 0.96  # right on every event but 10
    probs[:10] = probs[:10, [1, 2, 0]]
    probs[:10] = np.where(probs[:10] > 0.5, 0.6, probs[:10])  # and less sure there
    probs /= probs.sum(axis=1, keepdims=True)
    trainer = StepTrainer(tiny_config(), None, progress=False)
    for target, below in ((0.95, True), (0.999, False)):
        trainer.config.evaluation.target_precision = target
        _, threshold, calibration = trainer.calibrate(probs, y)
        assert calibration["validation_precision_answering_all"] == 0.98
        assert (calibration["validation_coverage"] == 1.0) is below
        assert ("raise --target-precision" in caplog.text) is below
        caplog.clear()
        report = {"events": 1, "loss": 0, "token_accuracy": 0, "macro_f1": 0,
                  "selective": {"threshold": threshold, "coverage": 1, "accuracy": 1,
                                "macro_f1": 1},
                  "calibration": {**calibration, "threshold": threshold},
                  "top_confusions": [], "per_class": {}}
        assert ("no threshold can bring precision down" in to_markdown(report)) is below
