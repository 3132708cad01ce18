"""Bodies of the task categorisation endpoints (/v1/tasks)."""

from __future__ import annotations

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
    category: str | None = Field(
        description="The most likely category; null when the model abstains because the "
                    "input does not read like a work task (see reason).")
    confidence: float = Field(description="Probability of the most likely category.")
    auto_selected: bool = Field(
        description="category is not null and confidence >= the model's auto-select "
                    "threshold (v2: chosen for 0.95 precision on held-out authors; "
                    "TASK_AUTO_SELECT_THRESHOLD overrides it): apply it; otherwise show the "
                    "suggestions.")
    reason: str | None = Field(default=None,
                               description="Why category is null (out of domain); else null.")
    suggestions: list[Suggestion] = Field(description="Top-k categories with confidence.")
    model_version: str
    variant: str | None = Field(default=None, description="A/B side that answered (A or B).")
    cached: bool = False


class CategorizeBatchResponse(BaseModel):
    predictions: list[TaskPredictionPublic]
    warnings: list[str] = []
