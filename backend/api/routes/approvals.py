"""Admin review of labels that feedback brought in (issue 19): list, approve."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from backend.api.deps import AdminDep
from backend.api.learning import LearningDep
from backend.api.schemas.approvals import LabelApprovalRequest, LabelApprovalResponse

router = APIRouter(prefix="/v1/feedback/labels", tags=["feedback"])


@router.get("", responses={401: {}, 403: {}})
async def read_pending_labels(learning: LearningDep, _admin: AdminDep) -> dict[str, Any]:
    """Labels waiting for approval, with how many corrections and clients sent them
    (admin token)."""
    return {"pending": await run_in_threadpool(learning.store.pending_labels)}


@router.post("/approve", response_model=LabelApprovalResponse,
             responses={401: {}, 403: {}, 422: {}})
async def approve_label(body: LabelApprovalRequest, learning: LearningDep,
                        admin: AdminDep) -> LabelApprovalResponse:
    """Let corrections to a new label train the model from the next retrain on (admin
    token)."""
    label = body.label.strip()
    waiting = await run_in_threadpool(learning.store.approve_label, body.model, label,
                                      admin.name)
    return LabelApprovalResponse(model=body.model, label=label, approved_by=admin.name,
                                 corrections=waiting)
