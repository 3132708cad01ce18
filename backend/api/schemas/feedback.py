"""Bodies of the feedback endpoint (/v1/feedback)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class FeedbackRequest(BaseModel):
    # Swagger sends the first example as is: a correction by (model, input, predicted),
    # which needs no prediction id from an earlier answer
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"model": "log-classifier", "input": {
            "source": "Apache", "log_message": "jk2_init() Found child 6725 in scoreboard slot 10"},
         "predicted": "Security Alert", "verdict": "correct",
         "correct_label": "System Notification"},
        {"model": "log-classifier", "input": {"source": "ModernCRM",
                                              "log_message": "User User123 logged in."},
         "predicted": "User Action", "verdict": "accept"},
        {"prediction_id": "9c337f85635445a3ab7c6fac5900becd", "verdict": "reject"}]})

    prediction_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$",
                                      description="32 hex characters, from a prediction.")
    model: str | None = Field(default=None, max_length=128)
    input: dict[str, Any] | None = Field(default=None, description="The input, when there is "
                                         "no prediction_id: {title, description} for tasks, "
                                         "{source, log_message} for logs.")
    predicted: str | None = Field(default=None, max_length=256)
    verdict: Literal["accept", "reject", "correct"]
    correct_label: str | None = Field(default=None, max_length=256)


class FeedbackResponse(BaseModel):
    feedback_id: int
    model: str
    model_version: str | None
    verdict: str
    correct_label: str | None
    new_label: bool = Field(description="correct_label is not a label of the served version.")
    held_for_approval: bool = Field(
        default=False, description="Held for an admin's approval: the label is new to the "
        "model (POST /v1/feedback/labels/approve), or a writer turns a problem label into a "
        "routine one (POST /v1/feedback/held/{id}/approve); kept, but it neither trains nor "
        "answers until approved.")
    note: str | None = None
    warnings: list[str] = Field(default_factory=list, description="What was changed on the "
                                "way in, e.g. a 'correct' whose label is the prediction, "
                                "stored as 'accept'.")
    memory: dict[str, Any] | None = Field(
        default=None, description="Log corrections: the feedback-memory entry that now answers "
        "every line of this template key in its scope, in the writer's own requests and, on "
        "the sources WRITER_SOURCES grants it, in everyone's (undo: DELETE "
        "/v1/feedback/memory/{id}).")
