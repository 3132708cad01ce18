"""Inference on awkward input: unknown values, NaN, huge sessions, order, abstain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backend.core.errors import BadInputError
from backend.sessions.batching import windows
from backend.sessions.predictor import UNCLASSIFIED, StepPredictor


def _sample(events: pd.DataFrame, n: int = 200) -> pd.DataFrame:
    return events.drop(columns=["step_name"]).head(n).reset_index(drop=True)


def test_output_keeps_input_order_and_every_row(predictor: StepPredictor,
                                               events: pd.DataFrame) -> None:
    sample = _sample(events)
    shuffled = sample.sample(frac=1.0, random_state=3).reset_index(drop=True)
    a = predictor.predict_proba(sample)
    b = predictor.predict_proba(shuffled)
    lookup = dict(zip(sample["timestamp"] + sample["session_id"], a.tolist(), strict=True))
    keys = shuffled["timestamp"] + shuffled["session_id"]
    assert np.allclose(b, np.array([lookup[k] for k in keys]), atol=1e-6)


def test_unknown_values_nan_and_out_of_range_numbers(predictor: StepPredictor,
                                                     events: pd.DataFrame) -> None:
    sample = _sample(events, 50)
    sample.loc[:9, "event_name"] = "teleport_user"
    sample.loc[10:19, "target_app"] = "NeverSeenApp"
    sample.loc[20:29, "file_path_depth"] = 1e12
    sample.loc[30:39, "is_sharepoint"] = np.nan
    sample.loc[40:, "window_title"] = None
    result = predictor.predict(sample)
    assert len(result.frame) == 50
    assert result.frame["confidence"].between(0, 1).all()
    assert set(result.frame["predicted_step"]) <= set(predictor.labels)


def test_abstains_below_threshold_with_reason(predictor: StepPredictor,
                                              events: pd.DataFrame) -> None:
    result = predictor.predict(_sample(events), threshold=1.0)
    assert result.frame["abstained"].all() and result.coverage == 0.0
    assert (result.frame["step_name"] == UNCLASSIFIED).all()
    assert result.frame["reason"].str.contains("below threshold 1.000").all()
    with pytest.raises(BadInputError):
        predictor.predict(_sample(events), threshold=1.5)


def test_label_column_absent_or_present_at_inference(predictor: StepPredictor,
                                                     events: pd.DataFrame) -> None:
    with_label = events.head(100)
    assert np.array_equal(predictor.predict_proba(with_label),
                          predictor.predict_proba(with_label.drop(columns=["step_name"])))


def test_missing_feature_column_is_all_missing_with_a_warning(predictor: StepPredictor,
                                                               events: pd.DataFrame) -> None:
    sample = _sample(events)
    result = predictor.predict(sample.drop(columns=["window_title"]))
    assert len(result.frame) == len(sample)
    assert len(result.warnings) == 1 and "'window_title'" in result.warnings[0]
    blank = sample.assign(window_title="")
    assert np.allclose(predictor.predict_proba(sample.drop(columns=["window_title"])),
                       predictor.predict_proba(blank))


def test_missing_required_column_is_still_refused(predictor: StepPredictor,
                                                  events: pd.DataFrame) -> None:
    with pytest.raises(BadInputError, match="'event_name'"):
        predictor.predict(_sample(events).drop(columns=["event_name"]))


def test_windows_cover_each_event_exactly_once() -> None:
    offsets = np.array([0, 5, 5 + 1000, 5 + 1000 + 64])
    seen = np.zeros(offsets[-1], int)
    for w in windows(offsets, 64):
        assert w.end - w.start <= 64 and w.start <= w.keep_start <= w.keep_end <= w.end
        seen[w.keep_start:w.keep_end] += 1
    assert (seen == 1).all()


def test_hundred_thousand_event_session(predictor: StepPredictor, events: pd.DataFrame) -> None:
    base = _sample(events, 500)
    big = pd.concat([base] * 200, ignore_index=True)
    big["session_id"] = "one-long-session"
    big["timestamp"] = np.arange(len(big), dtype=float)  # epoch seconds
    result = predictor.predict(big)
    assert len(result.frame) == 100_000
    assert result.frame["confidence"].notna().all()
