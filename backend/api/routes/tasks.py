"""Task categorisation: title + description -> category, confidence, suggestions."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from backend.api.deps import ManagerDep, SettingsDep
from backend.api.learning import Learning, LearningDep, pick_task_model
from backend.api.schemas.tasks import (
    CategorizeBatchRequest,
    CategorizeBatchResponse,
    CategorizeRequest,
    TaskIn,
    TaskPredictionPublic,
)
from backend.core.config import Settings
from backend.core.errors import BadInputError, ProblemError
from backend.core.text import clean, input_key
from backend.feedback.store import PredictionRecord
from backend.tasks.categorizer import TaskCategorizer

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/tasks", tags=["tasks"])


def _check(task: TaskIn, settings: Settings, where: str = "") -> None:
    if not clean(task.title):
        raise BadInputError(f"{where}title is empty: send the task's title "
                            f"(1-{settings.TASK_MAX_TITLE_CHARS} characters).")
    if len(task.title) > settings.TASK_MAX_TITLE_CHARS:
        raise BadInputError(f"{where}title has {len(task.title):,} characters; the limit is "
                            f"{settings.TASK_MAX_TITLE_CHARS:,}. Move the detail to description.")
    size = len(task.description or "")
    if size > settings.TASK_MAX_DESCRIPTION_CHARS:
        raise BadInputError(
            f"{where}description has {size:,} characters; the limit is "
            f"{settings.TASK_MAX_DESCRIPTION_CHARS:,} (TASK_MAX_DESCRIPTION_CHARS). Send the "
            "first part: the model reads only the first ~250 words anyway.", status=413)


def _categorize(model: TaskCategorizer, variant: str | None, tasks: list[TaskIn],
                learning: Learning) -> tuple[list[TaskPredictionPublic], list[str]]:
    """Predict, then record every prediction so feedback can name it by id."""
    predictions = model.categorize([(t.title, t.description) for t in tasks])
    records = [PredictionRecord({"title": t.title, "description": t.description},
                                input_key(p.text), p.recorded_label, p.confidence)
               for t, p in zip(tasks, predictions, strict=True)]
    warnings: list[str] = []
    ids: list[str | None]
    try:
        ids = list(learning.recorder.submit(model.name, model.version, records, variant))
    except Exception as exc:  # SQLAlchemy or migration errors: answer without ids
        logger.error("feedback store unavailable, predictions not recorded: %s", exc)
        ids = [None] * len(records)
        warnings.append("The feedback store is unavailable: these predictions have no id. "
                        "Send feedback with model, input and predicted instead.")
    public = [TaskPredictionPublic(prediction_id=pid, variant=variant, **p.public())
              for pid, p in zip(ids, predictions, strict=True)]
    return public, warnings


@router.post("/categorize", response_model=TaskPredictionPublic,
             responses={413: {}, 422: {}, 503: {}})
async def categorize_task(body: CategorizeRequest, request: Request, manager: ManagerDep,
                          settings: SettingsDep, learning: LearningDep) -> TaskPredictionPublic:
    """Categorise one task: the category, whether to auto-select it, and top-k suggestions."""
    _check(body, settings)
    model, variant = pick_task_model(request, manager, settings, learning, body.client_key)
    public, _ = await run_in_threadpool(_categorize, model, variant, [body], learning)
    return public[0]


@router.post("/categorize/batch", response_model=CategorizeBatchResponse,
             responses={413: {}, 422: {}, 503: {}})
async def categorize_tasks(body: CategorizeBatchRequest, request: Request,
                           manager: ManagerDep, settings: SettingsDep,
                           learning: LearningDep) -> CategorizeBatchResponse:
    """Categorise many tasks at once; every task comes back, in order."""
    if not body.tasks:
        raise BadInputError("tasks is empty: send at least one {title, description}.")
    if len(body.tasks) > settings.TASK_MAX_BATCH:
        raise ProblemError(413, f"{len(body.tasks):,} tasks in one request; the limit is "
                                f"{settings.TASK_MAX_BATCH:,}. Send smaller batches.")
    for i, task in enumerate(body.tasks):
        _check(task, settings, where=f"tasks[{i}].")
    model, variant = pick_task_model(request, manager, settings, learning, body.client_key)
    public, warnings = await run_in_threadpool(_categorize, model, variant, body.tasks, learning)
    return CategorizeBatchResponse(predictions=public, warnings=warnings)
