"""Admin review of what feedback may not do alone: labels it brought in (issue 19), and
single corrections a writer made from a problem label to a routine one (issue 24)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool

from backend.api.deps import AdminDep, ManagerDep, SettingsDep
from backend.api.learning import MAX_ENTRY_ID, LearningDep, remember_log_feedback
from backend.api.schemas.approvals import (
    HeldDecisionResponse,
    LabelApprovalRequest,
    LabelApprovalResponse,
)
from backend.core.errors import ProblemError
from backend.feedback.store import REJECTED

router = APIRouter(prefix="/v1/feedback", tags=["feedback"])
FeedbackId = Annotated[int, Path(ge=1, le=MAX_ENTRY_ID)]


@router.get("/labels", responses={401: {}, 403: {}})
async def read_pending_labels(learning: LearningDep, _admin: AdminDep) -> dict[str, Any]:
    """Labels waiting for approval, with how many corrections and clients sent them
    (admin token)."""
    return {"pending": await run_in_threadpool(learning.store.pending_labels)}


@router.post("/labels/approve", response_model=LabelApprovalResponse,
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


@router.get("/held", responses={401: {}, 403: {}})
async def read_held_feedback(learning: LearningDep, _admin: AdminDep,
                             limit: int = Query(default=500, ge=1, le=10_000)
                             ) -> dict[str, Any]:
    """Corrections held for approval one by one (a writer turned a problem label into a
    routine one), oldest first (admin token)."""
    return {"held": await run_in_threadpool(learning.store.held_feedback, limit)}


def _not_held(feedback_id: int) -> ProblemError:
    return ProblemError(404, f"No correction {feedback_id} is held for approval; list them "
                             "at GET /v1/feedback/held.")


@router.post("/held/{feedback_id}/approve", response_model=HeldDecisionResponse,
             responses={401: {}, 403: {}, 404: {}, 422: {}})
async def approve_held_feedback(feedback_id: FeedbackId, learning: LearningDep,
                                manager: ManagerDep, settings: SettingsDep,
                                admin: AdminDep) -> HeldDecisionResponse:
    """Approve one held correction (admin token): it trains from the next retrain on and,
    for a log line, answers its template from the memory with its writer's reach (that
    writer's requests, and everyone's on the writer's WRITER_SOURCES)."""
    row = await run_in_threadpool(learning.store.decide_held, feedback_id, "ok")
    if row is None:
        raise _not_held(feedback_id)
    taught = row.correct_label or (row.predicted if row.verdict == "accept" else None)
    remembered = await run_in_threadpool(
        remember_log_feedback, settings, manager, learning, row.model, row.model_version,
        json.loads(row.input_json), taught, row.id, row.client or admin.name)
    return HeldDecisionResponse(feedback_id=feedback_id, decision="approved",
                                decided_by=admin.name,
                                memory=remembered.public() if remembered else None)


@router.post("/held/{feedback_id}/reject", response_model=HeldDecisionResponse,
             responses={401: {}, 403: {}, 404: {}, 422: {}})
async def reject_held_feedback(feedback_id: FeedbackId, learning: LearningDep,
                               admin: AdminDep) -> HeldDecisionResponse:
    """Refuse one held correction (admin token): it never trains nor answers."""
    row = await run_in_threadpool(learning.store.decide_held, feedback_id, REJECTED)
    if row is None:
        raise _not_held(feedback_id)
    return HeldDecisionResponse(feedback_id=feedback_id, decision="rejected",
                                decided_by=admin.name)
