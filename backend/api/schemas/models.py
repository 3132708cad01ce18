"""Bodies of the model registry endpoints (/v1/models)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ModelVersionPublic(BaseModel):
    version: str
    created: str
    metrics: dict[str, Any] = {}
    labels: list[str] = []


class StepColumnsPublic(BaseModel):
    """What a step model reads, under the names it was trained with (matched ignoring case,
    spaces, colons and dots)."""

    required: list[str] = Field(description="session, timestamp and event columns")
    optional: list[str] = Field(description="feature columns; an absent one counts as "
                                            "missing, with a warning")
    label: str = Field(description="the step column (training only; ignored when sent)")


class ModelPublic(BaseModel):
    name: str
    kind: str | None = Field(default=None, description="log-classifier, task-categorizer, "
                                                       "step-tagger, ...")
    default: bool = Field(default=False, description="Answers requests that name no model "
                                                    "(LOG/TASK/STEP_MODEL_NAME).")
    columns: StepColumnsPublic | None = Field(
        default=None, description="Step models: the columns a request needs.")
    active_version: str | None
    status: str = Field(description="serving | not loaded")
    error: str | None = None
    versions: list[ModelVersionPublic]
    remote: dict[str, Any] | None = None


class ModelsResponse(BaseModel):
    models: list[ModelPublic]


class ActivateRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"version": "latest"}]})

    version: str = Field(description="A version tag such as v2, or 'latest'.")
