"""Bodies of the task, feedback, retrain and job endpoints, named by role."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

EXAMPLE_TASK: dict[str, JsonValue] = {
    "title": "Fix crash in the login form when the session expires",
    "description": "Users get a 500 error; the stack trace points to a null check."}


class TaskIn(BaseModel):
    title: str = Field(description="The task's title (required, not blank).")
    description: str | None = Field(default=None, description="Optional longer text.")


class CategorizeRequest(TaskIn):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_TASK]})

    client_key: str | None = Field(
        default=None, max_length=256,
        description="Sticky A/B key (default: X-Client-Key header, else the client address).")


class CategorizeBatchRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"tasks": [EXAMPLE_TASK]}]})

    tasks: list[TaskIn] = Field(description="Tasks to categorise, answered in the same order.")
    client_key: str | None = Field(default=None, max_length=256)


class Suggestion(BaseModel):
    category: str
    confidence: float


class TaskPredictionPublic(BaseModel):
    prediction_id: str | None = Field(
        description="Send it back with POST /v1/feedback (null if the store was unavailable).")
    category: str = Field(description="The most likely category.")
    confidence: float
    auto_selected: bool = Field(description="confidence >= TASK_AUTO_SELECT_THRESHOLD: apply "
                                            "it; otherwise show the suggestions.")
    suggestions: list[Suggestion] = Field(description="Top-k categories with confidence.")
    model_version: str
    variant: str | None = Field(default=None, description="A/B side that answered (A or B).")
    cached: bool = False


class CategorizeBatchResponse(BaseModel):
    predictions: list[TaskPredictionPublic]
    warnings: list[str] = []


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"prediction_id": "9c337f85635445a3ab7c6fac5900becd", "verdict": "reject",
         "correct_label": "Planning"},
        {"model": "log-classifier", "input": {"source": "ModernCRM",
                                              "log_message": "User User123 logged in."},
         "predicted": "User Action", "verdict": "accept"}]})

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
        default=False, description="The label is new to the model: kept, but it neither "
        "trains nor answers until an admin approves it (POST /v1/feedback/labels/approve).")
    note: str | None = None
    memory: dict[str, Any] | None = Field(
        default=None, description="Log corrections: the feedback-memory entry that now answers "
        "every line of this template key in its scope (undo: DELETE /v1/feedback/memory/{id}).")


class RetrainRequest(BaseModel):
    rows: int | None = Field(default=None, ge=100, le=20_000,
                             description="Generated base rows (default: as the served version).")
    seed: int | None = None


class JobPublic(BaseModel):
    id: str
    kind: str
    status: str = Field(description="queued | running | succeeded | failed")
    created: float
    started: float | None = None
    finished: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None


class LabelApprovalRequest(BaseModel):
    model: str = Field(max_length=128, description="The model the label is for.")
    label: str = Field(min_length=1, max_length=256, description="The label to let train.")


class LabelApprovalResponse(BaseModel):
    model: str
    label: str
    approved_by: str
    corrections: int = Field(description="Corrections to this label that were waiting.")
