"""Bodies of the approval endpoints (/v1/feedback/labels/approve, /v1/feedback/held)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class LabelApprovalRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"model": "log-classifier", "label": "Payment Failure"}]})

    model: str = Field(max_length=128, description="The model the label is for.")
    label: str = Field(min_length=1, max_length=256, description="The label to let train.")


class LabelApprovalResponse(BaseModel):
    model: str
    label: str
    approved_by: str
    corrections: int = Field(description="Corrections to this label that were waiting.")


class HeldDecisionResponse(BaseModel):
    feedback_id: int
    decision: str = Field(description="approved | rejected")
    decided_by: str
    memory: dict[str, Any] | None = Field(
        default=None, description="Log corrections, once approved: the feedback-memory entry "
        "that now answers the template (with its writer's reach).")
