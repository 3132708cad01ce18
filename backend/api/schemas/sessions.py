"""Bodies of the step tagging endpoint (/v1/sessions/predict); the CSV/XES upload
is a form, described with its route."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from sift_tables import scrub_surrogates

Scalar = str | int | float | bool | None
EVENT_EXAMPLE: dict[str, Scalar] = {
    "session_id": "S1", "timestamp": "2026-01-05T08:00:01Z", "event_name": "open_email",
    "action_type": "click", "target_app": "Outlook", "file_extension": "",
    "file_path_depth": 0, "is_sharepoint": 0, "event_name_length": 10,
    "window_title": "Invoice 48213 from Globex - Message"}


BODY_EXAMPLE: Any = {"events": [EVENT_EXAMPLE]}  # what Swagger's "Try it out" sends


class PredictStepsRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [BODY_EXAMPLE]})

    events: list[dict[str, Scalar]] = Field(
        ..., min_length=1, description="One object per event; keys are the model's columns "
        "(see GET /v1/models; case, spaces, colons and dots in names are ignored). Session, "
        "timestamp and event are required; an absent feature column counts as missing, "
        "with a warning.",
        examples=[[EVENT_EXAMPLE]])
    threshold: float | None = Field(None, ge=0.0, le=1.0,
                                    description="Abstain below this (default: the model's).")
    model: str | None = Field(None, max_length=128, description="Registered step model to "
                              "use (GET /v1/models lists them); default STEP_MODEL_NAME.")
    _scrubbed: int = PrivateAttr(default=0)

    @field_validator("events")
    @classmethod
    def _finite_numbers(cls, events: list[dict[str, Scalar]]) -> list[dict[str, Scalar]]:
        """A number no float can hold (1e400, 10**400) is named, not a 500 later."""
        for i, event in enumerate(events):
            for key, value in event.items():
                if isinstance(value, int | float) and not isinstance(value, bool) and (
                        not _finite(value)):
                    raise ValueError(f"events[{i}].{key}: {str(value)[:40]} is not a finite "
                                     "number a float can hold (|x| < 1.8e308)")
        return events

    def scrub(self) -> list[str]:
        """Lone surrogates in text values -> U+FFFD; a warning naming the first event."""
        rows: list[int] = []
        for i, event in enumerate(self.events):
            for key, value in event.items():
                if isinstance(value, str):
                    event[key], n = scrub_surrogates(value)
                    if n and (not rows or rows[-1] != i):
                        rows.append(i)
        if not rows:
            return []
        return [f"{len(rows)} event(s) held lone UTF-16 surrogates (first at event {rows[0]}); "
                "each was replaced by U+FFFD"]


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


class StepPredictionPublic(BaseModel):
    index: int
    prediction_id: str | None = None
    session_id: str
    step_name: str
    confidence: float
    abstained: bool
    predicted_step: str
    reason: str = ""


class PredictStepsResponse(BaseModel):
    model: str
    model_version: str
    threshold: float
    coverage: float
    summary: dict[str, Any]
    predictions: list[StepPredictionPublic]
    warnings: list[str] = []
