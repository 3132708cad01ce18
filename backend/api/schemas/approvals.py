"""Bodies of the label approval endpoint (/v1/feedback/labels/approve)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LabelApprovalRequest(BaseModel):
    model: str = Field(max_length=128, description="The model the label is for.")
    label: str = Field(min_length=1, max_length=256, description="The label to let train.")


class LabelApprovalResponse(BaseModel):
    model: str
    label: str
    approved_by: str
    corrections: int = Field(description="Corrections to this label that were waiting.")
