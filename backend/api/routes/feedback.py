"""Feedback on any prediction (tasks, logs, steps) and accept rates per version."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from backend.api.approval import (
    FeedbackWriterDep,
    check_input_size,
    downgrade_note,
    downgrade_status,
    held_note,
    label_status,
    served_answer,
)
from backend.api.deps import ManagerDep, SettingsDep
from backend.api.learning import LearningDep, model_labels, remember_log_feedback
from backend.api.schemas.feedback import FeedbackRequest, FeedbackResponse
from backend.core.config import Settings
from backend.core.errors import BadInputError, ProblemError
from backend.feedback.store import HELD, UnknownPredictionError
from backend.logs.recording import log_key
from backend.registry.active import ModelManager
from backend.tasks.text import input_key, task_text

router = APIRouter(prefix="/v1/feedback", tags=["feedback"])


def feedback_key(settings: Settings, model: str, given: dict[str, Any]) -> str:
    """The key that matches this input to its prediction and to training rows."""
    if model == settings.TASK_MODEL_NAME:
        if not str(given.get("title") or "").strip():
            raise BadInputError("input.title is empty: send the task's {title, description}.")
        return input_key(task_text(str(given["title"]), given.get("description")))
    if "log_message" in given:
        return log_key(given.get("source"), given["log_message"])
    return input_key(json.dumps(given, sort_keys=True, default=str))


def _known_models(manager: ModelManager) -> set[str]:
    return set(manager.loaders) | set(manager.store.names())


def same_label_is_accept(verdict: str, label: str | None, predicted: str | None
                         ) -> tuple[str, str | None, list[str]]:
    """A `correct` whose label is the prediction is an accept: stored as one, so the
    accept rate and retraining count it as agreement, and the answer says so."""
    if verdict == "correct" and label is not None and label == predicted:
        return "accept", None, [f"correct_label {label!r} is the predicted label: stored as "
                                "verdict 'accept'. Send 'accept' to confirm a prediction, "
                                "'correct' with a different label to change it."]
    return verdict, label, []


def _note(settings: Settings, model: str, labels: list[str] | None, label: str | None
          ) -> tuple[bool, str | None]:
    if label is None or labels is None or label in labels:
        return False, None
    if model == settings.TASK_MODEL_NAME:
        return True, (f"'{label}' is a new category: it is created at the next retrain "
                      f"(POST /v1/models/{model}/retrain).")
    return True, (f"'{label}' is not a label of the served {model}; the correction is kept "
                  "and reported in GET /v1/feedback/stats.")


@router.post("", response_model=FeedbackResponse, status_code=201,
             responses={401: {}, 403: {}, 404: {}, 413: {}, 422: {}, 429: {}})
async def create_feedback(body: FeedbackRequest, manager: ManagerDep, settings: SettingsDep,
                          learning: LearningDep, caller: FeedbackWriterDep) -> FeedbackResponse:
    """Accept, reject or correct a prediction, by prediction_id or by (model, input,
    predicted); needs a writer key or the API token. Corrections feed the next retrain and
    answer the writer's own requests at once (everyone's on its WRITER_SOURCES); one that
    brings a label the model does not know, or turns a problem label into a routine one,
    waits for an admin's approval."""
    label = body.correct_label.strip() if body.correct_label else None
    if body.verdict == "correct" and not label:
        raise BadInputError("verdict 'correct' needs correct_label: the label that is right.")
    if body.verdict == "accept" and label:
        raise BadInputError("verdict 'accept' takes no correct_label; use 'correct' or "
                            "'reject' with correct_label to change the label.")
    check_input_size(settings, body.input)
    store = learning.store
    if body.prediction_id:
        row = await run_in_threadpool(store.get_prediction, body.prediction_id)
        if row is None:  # perhaps still queued for writing: wait for the recorder, look again
            await run_in_threadpool(learning.recorder.flush)
            row = await run_in_threadpool(store.get_prediction, body.prediction_id)
        if row is None:
            raise ProblemError(404, f"Unknown prediction_id {body.prediction_id!r}. Use an id "
                                    "from a prediction response, or send model, input and "
                                    "predicted instead.")
        model = row.model
        version: str | None = row.model_version
        given, predicted = json.loads(row.input_json), row.predicted
        kwargs: dict[str, Any] = {"prediction_id": body.prediction_id}
    else:
        if not (body.model and body.input and body.predicted):
            raise BadInputError("Send prediction_id, or all of model, input and predicted.")
        model, given, predicted = body.model, body.input, body.predicted
        if model not in _known_models(manager):
            raise ProblemError(404, f"Unknown model {model!r}. Known: "
                                    f"{', '.join(sorted(_known_models(manager)))}.")
        active = manager.active().get(model)
        version = active.version if active else None
        kwargs = {"model": model, "input": body.input, "predicted": body.predicted,
                  "input_key": feedback_key(settings, model, body.input),
                  "model_version": version}
    verdict, label, warnings = same_label_is_accept(body.verdict, label, predicted)
    taught = label or (predicted if verdict == "accept" else None)
    status = await run_in_threadpool(label_status, manager, learning, model, taught)
    was: list[str | None] = [predicted]
    if status == "ok" and caller.role != "admin" and taught is not None:
        was.append(await run_in_threadpool(served_answer, settings, manager, model, given))
        status = downgrade_status(caller, taught, was)
    try:
        feedback_id = await run_in_threadpool(
            lambda: store.add_feedback(verdict, correct_label=label, client=caller.name,
                                       status=status, **kwargs))
    except UnknownPredictionError as exc:
        raise ProblemError(404, f"Unknown prediction_id {exc}.") from exc
    held = status in ("pending", HELD)
    note: str | None
    if held and taught is not None:  # neither trains nor answers until approved
        remembered = None
        new_label = status == "pending"
        note = (held_note(settings, model, taught) if new_label
                else downgrade_note(was, taught))
    else:
        new_label, note = _note(settings, model, model_labels(manager, model), label)
        remembered = await run_in_threadpool(
            remember_log_feedback, settings, manager, learning, model, version, given,
            predicted if verdict == "accept" else label, feedback_id, caller.name)
    return FeedbackResponse(feedback_id=feedback_id, model=model, model_version=version,
                            verdict=verdict, correct_label=label, new_label=new_label,
                            note=note, memory=remembered.public() if remembered else None,
                            held_for_approval=held, warnings=warnings)


@router.get("/stats")
async def read_feedback_stats(learning: LearningDep, settings: SettingsDep,
                              model: str | None = Query(default=None, max_length=128)
                              ) -> dict[str, Any]:
    """Accept rate per model, version (A/B side) and predicted label."""
    await run_in_threadpool(learning.recorder.flush)  # predictions still queued count too
    stats = await run_in_threadpool(learning.store.stats, model)
    stats["ab"] = {"model": settings.TASK_MODEL_NAME, "b_version": settings.TASK_AB_VERSION,
                   "b_share": settings.TASK_AB_SPLIT,
                   "enabled": bool(settings.TASK_AB_VERSION and settings.TASK_AB_SPLIT > 0)}
    return stats
