"""The log feedback memory: what a correction changed at once, listed and undone."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool

from backend.api.deps import SettingsDep, WriterDep
from backend.api.learning import Learning, LearningDep
from backend.core.config import Settings
from backend.core.errors import ProblemError
from backend.feedback.memory import GLOBAL_SCOPE, MemoryEntry
from backend.logs.llm.base import UNCLASSIFIED
from backend.registry.active import ModelManager

router = APIRouter(prefix="/v1/feedback/memory", tags=["feedback"])
MAX_ENTRY_ID = 2**31 - 1  # the id column is a 32-bit INTEGER in PostgreSQL


def remember_log_feedback(settings: Settings, manager: ModelManager, learning: Learning,
                          model: str, version: str | None, given: dict[str, Any],
                          label: str | None, feedback_id: int) -> MemoryEntry | None:
    """Keep a log line's label for its whole template key (in its source's scope, or
    globally), so the next request already answers it. Labels the served model does not
    know are not remembered (they wait for approval and a retrain)."""
    if model != settings.LOG_MODEL_NAME or not settings.FEEDBACK_MEMORY:
        return None
    message = str(given.get("log_message") or "")
    entry = manager.active().get(model)
    if not label or label == UNCLASSIFIED or not message.strip() or entry is None:
        return None
    classifier = entry.model
    if label not in classifier.labels:
        return None
    source = str(given.get("source") or "").strip()
    scope = source if settings.FEEDBACK_MEMORY_SCOPE == "source" else GLOBAL_SCOPE
    key = classifier.key(message)
    store = learning.memory.store
    entry_id = store.remember(model, scope, key, label, example=message,
                              model_version=version, feedback_id=feedback_id)
    learning.memory.invalidate()
    return MemoryEntry(entry_id, scope, key, label, version, feedback_id, message, None)


@router.get("")
async def list_memory(learning: LearningDep, settings: SettingsDep,
                      scope: str | None = Query(default=None, max_length=256),
                      include_undone: bool = False,
                      limit: int = Query(default=500, ge=1, le=10_000)) -> dict[str, Any]:
    """The corrections served from memory (latest `limit`), oldest first."""
    entries = await run_in_threadpool(
        lambda: learning.memory.store.entries(settings.LOG_MODEL_NAME, scope=scope,
                                              include_undone=include_undone, limit=limit))
    return {"model": settings.LOG_MODEL_NAME, "scope_setting": settings.FEEDBACK_MEMORY_SCOPE,
            "enabled": settings.FEEDBACK_MEMORY, "entries": [e.public() for e in entries]}


@router.delete("/{entry_id}", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def undo_memory(entry_id: Annotated[int, Path(ge=1, le=MAX_ENTRY_ID)],
                      learning: LearningDep, settings: SettingsDep,
                      _caller: WriterDep) -> dict[str, Any]:
    """Undo one remembered correction: its template gets the model's answer again (the
    feedback row itself stays for retraining; send a new verdict to change that)."""
    entry = await run_in_threadpool(learning.memory.store.undo, settings.LOG_MODEL_NAME,
                                    entry_id)
    if entry is None:
        raise ProblemError(404, f"No feedback memory entry {entry_id} for "
                                f"{settings.LOG_MODEL_NAME}; list them at GET "
                                "/v1/feedback/memory.")
    learning.memory.invalidate()
    return entry.public()
