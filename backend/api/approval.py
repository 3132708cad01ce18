"""What guards the learning loop (issue 19): who may write feedback, how much, how big,
and which labels may enter training without an admin's approval."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from backend.api.auth import Caller
from backend.api.deps import SettingsDep, WriterDep
from backend.api.learning import Learning, LearningDep, model_labels
from backend.api.state import state_of
from backend.core.config import Settings
from backend.core.errors import ProblemError
from backend.core.labels import PROBLEM_LABELS
from backend.feedback.store import HELD
from backend.registry.active import ModelManager

logger = logging.getLogger(__name__)
PURGE_EVERY_S = 3600.0
_lock = threading.Lock()


async def _purge_when_due(request: Request, settings: Settings, learning: Learning) -> None:
    """Apply the retention settings at most once an hour per app (on feedback writes)."""
    state = state_of(request)
    with _lock:
        if time.monotonic() - state.purged_at < PURGE_EVERY_S:
            return
        state.purged_at = time.monotonic()
    try:
        n_pred, n_fb = await run_in_threadpool(
            learning.store.purge, settings.PREDICTION_RETENTION_DAYS,
            settings.FEEDBACK_RETENTION_DAYS)
    except Exception:  # retention is housekeeping: never fails a write
        logger.exception("retention purge failed")
        return
    if n_pred or n_fb:
        logger.info("retention: deleted %d predictions and %d feedback rows", n_pred, n_fb)


async def feedback_writer(request: Request, caller: WriterDep, settings: SettingsDep,
                          learning: LearningDep) -> Caller:
    """A feedback write: an authenticated writer within WRITE_QUOTA (else 429)."""
    limiter = state_of(request).write_quota
    if limiter is not None:
        await limiter.check(f"write:{caller.name}", setting="WRITE_QUOTA")
    await _purge_when_due(request, settings, learning)
    return caller


FeedbackWriterDep = Annotated[Caller, Depends(feedback_writer)]


def check_input_size(settings: Settings, given: dict[str, Any] | None) -> None:
    """413 when the feedback `input` is larger than FEEDBACK_MAX_INPUT_CHARS as JSON."""
    if given is None:
        return
    size = len(json.dumps(given, default=str))
    if size > settings.FEEDBACK_MAX_INPUT_CHARS:
        raise ProblemError(413, f"input has {size:,} characters as JSON; feedback takes at "
                                f"most {settings.FEEDBACK_MAX_INPUT_CHARS:,} "
                                "(FEEDBACK_MAX_INPUT_CHARS). Send only the fields the model "
                                "reads, e.g. {source, log_message} or {title, description}.")


def known_labels(manager: ModelManager, model: str) -> set[str]:
    """Labels `model` already has: the served version's, else the newest stored one's."""
    labels = model_labels(manager, model)
    if labels is None:
        try:
            labels = list(manager.store.manifest(model, "latest").labels)
        except Exception:  # no version at all: every label is new
            labels = []
    return set(labels)


def label_status(manager: ModelManager, learning: Learning, model: str,
                 taught: str | None) -> str:
    """"pending" when `taught` is a label the model does not know and no admin approved
    it yet (the correction is kept but does not train or answer); else "ok"."""
    if taught is None or taught in known_labels(manager, model):
        return "ok"
    return "ok" if taught in learning.store.approved_labels(model) else "pending"


def served_answer(settings: Settings, manager: ModelManager, model: str,
                  given: dict[str, Any]) -> str | None:
    """What the service answers for a log line without any memory (rules and model), so a
    writer cannot dodge the downgrade check by naming a routine `predicted`."""
    entry = manager.active().get(model)
    if model != settings.LOG_MODEL_NAME or entry is None or "log_message" not in given:
        return None
    answer = entry.model.classify([(given.get("source"), given.get("log_message"))])[0]
    label: str = answer.label
    return label


def downgrade_status(caller: Caller, taught: str | None, was: list[str | None]) -> str:
    """HELD when a writer turns a problem label (`was`: the predicted label it names, the
    service's own answer) into a routine one: one correction must not hide a problem from
    everyone it answers before an admin looked; "ok" otherwise (the admin is the approver)."""
    if caller.role == "admin" or taught is None or taught in PROBLEM_LABELS:
        return "ok"
    return HELD if any(label in PROBLEM_LABELS for label in was) else "ok"


def held_note(settings: Settings, model: str, label: str) -> str:
    what = "category" if model == settings.TASK_MODEL_NAME else "label"
    return (f"'{label}' is a new {what} for {model}: the correction is kept but does not "
            "train or answer until an admin approves it (POST /v1/feedback/labels/approve).")


def downgrade_note(was: list[str | None], label: str) -> str:
    problem = next(lbl for lbl in was if lbl in PROBLEM_LABELS)
    return (f"Held for approval: '{problem}' -> '{label}' turns a problem into a routine "
            "label; the correction is kept but neither answers nor trains until an admin "
            "approves it (GET /v1/feedback/held, POST /v1/feedback/held/{id}/approve).")

