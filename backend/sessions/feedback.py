"""Step predictions as feedback records, and corrections back as labelled training events.

Each tagged event is recorded with its row (the model's columns, under the
model's names) so a correction by prediction id carries everything a retrain
needs: the session it belongs to, its time, event and features.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pandas as pd

from backend.core.text import input_key
from backend.feedback.store import LabelledExample, PredictionRecord
from backend.sessions.columns import AlignedEvents
from backend.sessions.predictor import StepPredictor
from backend.sessions.service import TaggedEvents

logger = logging.getLogger(__name__)

STEP_RECORD_LIMIT = 10_000  # larger requests are tagged but not given ids


def event_key(row: dict[str, Any]) -> str:
    """The feedback key of one event: its row, canonically serialised."""
    return input_key(json.dumps(row, sort_keys=True, default=str))


def event_rows(predictor: StepPredictor, events: AlignedEvents) -> list[dict[str, Any]]:
    """One dict per event (input order) with the model's columns; blanks as None."""
    part = events.frame[predictor.columns].astype(object)
    return part.where(part.notna(), None).to_dict("records")


def record_step_predictions(learning: Any, name: str, predictor: StepPredictor,
                            tagged: TaggedEvents) -> list[str] | None:
    """Prediction ids for every event; None when the request is too large or the store is
    unavailable (tagging itself never fails on this)."""
    if not len(tagged.table) or len(tagged.table) > STEP_RECORD_LIMIT:
        return None
    rows = event_rows(predictor, tagged.events)
    predicted = tagged.column("predicted_step").tolist()
    confidence = tagged.column("confidence").astype(float).tolist()
    records = [PredictionRecord(row, event_key(row), label, conf)
               for row, label, conf in zip(rows, predicted, confidence, strict=True)]
    try:
        ids: list[str] = learning.recorder.submit(name, predictor.version, records)
        return ids
    except Exception as exc:  # the store is optional for tagging
        logger.error("feedback store unavailable, step predictions not recorded: %s", exc)
        return None


def corrections_frame(examples: list[LabelledExample], columns: list[str], label: str
                      ) -> pd.DataFrame:
    """Labelled events from feedback as training rows (the model's columns + the label)."""
    rows = [{**{c: ex.input.get(c) for c in columns}, label: ex.label} for ex in examples
            if all(ex.input.get(c) not in (None, "") for c in columns[:3])]
    return pd.DataFrame(rows, columns=[*columns, label])
