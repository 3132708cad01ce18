"""The log feedback memory: what a correction changed at once, listed and undone.

Who sees and undoes what (issue 24): listing needs a credential and shows masked template
keys, never the raw lines; a writer lists the entries that answer its own requests (its
own, the admin's, and those shared on a source WRITER_SOURCES grants their writer); only
an entry's author or the admin may undo it.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool

from backend.api.auth import Caller
from backend.api.deps import SettingsDep, WriterDep
from backend.api.learning import MAX_ENTRY_ID, LearningDep, writer_grants
from backend.core.config import Settings
from backend.core.errors import ProblemError
from backend.feedback.memory import MemoryEntry

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/feedback/memory", tags=["feedback"])


def _answers(settings: Settings, caller: Caller, entry: MemoryEntry) -> bool:
    """Whether `entry` answers some of `caller`'s requests (the admin sees every entry)."""
    if caller.role == "admin" or entry.author == caller.name:
        return True
    return writer_grants(settings).shares(entry.author, entry.scope)


@router.get("", responses={401: {}, 403: {}})
async def list_memory(learning: LearningDep, settings: SettingsDep, caller: WriterDep,
                      scope: str | None = Query(default=None, max_length=256),
                      include_undone: bool = False,
                      limit: int = Query(default=500, ge=1, le=10_000)) -> dict[str, Any]:
    """The corrections served from memory that answer your requests (latest `limit`),
    oldest first, as masked template keys (a writer key or the API token)."""
    entries = await run_in_threadpool(
        lambda: learning.memory.store.entries(settings.LOG_MODEL_NAME, scope=scope,
                                              include_undone=include_undone))
    shown = [e for e in entries if _answers(settings, caller, e)][-limit:]
    return {"model": settings.LOG_MODEL_NAME, "scope_setting": settings.FEEDBACK_MEMORY_SCOPE,
            "enabled": settings.FEEDBACK_MEMORY,
            "entries": [{**e.public(), "mine": e.author == caller.name} for e in shown]}


@router.delete("/{entry_id}", responses={401: {}, 403: {}, 404: {}, 422: {}})
async def undo_memory(entry_id: Annotated[int, Path(ge=1, le=MAX_ENTRY_ID)],
                      learning: LearningDep, settings: SettingsDep,
                      caller: WriterDep) -> dict[str, Any]:
    """Undo one remembered correction (its author or the admin): its template gets the
    model's answer again (the feedback row itself stays for retraining; send a new verdict
    to change that)."""
    store = learning.memory.store
    found = await run_in_threadpool(store.get, settings.LOG_MODEL_NAME, entry_id)
    if found is None or not _answers(settings, caller, found):
        raise ProblemError(404, f"No feedback memory entry {entry_id} for "
                                f"{settings.LOG_MODEL_NAME} that answers your requests; list "
                                "them at GET /v1/feedback/memory.")
    if caller.role != "admin" and found.author != caller.name:
        raise ProblemError(403, f"Feedback memory entry {entry_id} was taught by "
                                f"{found.author or 'an unknown client'}: only its author or "
                                "the admin API_TOKEN may undo it.")
    entry = await run_in_threadpool(store.undo, settings.LOG_MODEL_NAME, entry_id)
    if entry is None:  # undone and deleted between the two reads
        raise ProblemError(404, f"No feedback memory entry {entry_id}.")
    learning.memory.invalidate()
    return entry.public()
