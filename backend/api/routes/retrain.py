"""Gated retraining in the background, and the status of background jobs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from backend.api.deps import ManagerDep, SettingsDep, TokenDep
from backend.api.learning import Learning, LearningDep
from backend.api.schemas_learning import JobPublic, RetrainRequest
from backend.core.config import Settings
from backend.core.errors import ProblemError
from backend.logs.service import build_embedder
from backend.registry.active import ModelManager
from backend.registry.local import LocalModelStore
from backend.tasks.service import task_embedder

router = APIRouter(prefix="/v1", tags=["models"])


def retrain_task_model(settings: Settings, manager: ModelManager, learning: Learning,
                       rows: int | None, seed: int | None) -> dict[str, Any]:
    """Merge base data with feedback, train, compare, promote (and serve) if not worse."""
    from training.tasks.retrain import retrain

    name = settings.TASK_MODEL_NAME
    entry = manager.active().get(name)
    params = entry.manifest.params if entry else {}
    embedder = entry.model.embedder if entry else task_embedder(settings)
    report = retrain(
        LocalModelStore(settings.MODELS_ROOT), name, embedder,
        learning.store.labelled_examples(name),
        rows=rows or int(params.get("base_rows") or settings.TASK_TRAIN_ROWS),
        seed=seed if seed is not None else int(params.get("seed", 42)),
        current_version=entry.version if entry else "latest",
        tolerance=settings.RETRAIN_TOLERANCE, threshold=settings.TASK_AUTO_SELECT_THRESHOLD)
    if report.promoted and report.candidate_version:
        manager.load(name, report.candidate_version)
    return report.to_dict()


def retrain_log_model(settings: Settings, manager: ModelManager, learning: Learning,
                      rows: int | None, seed: int | None) -> dict[str, Any]:
    """The same gate for the log classifier; the served classifier's embedder (and its
    cache) is reused, and a promoted version is loaded and served."""
    from training.logs.retrain import retrain_logs

    name = settings.LOG_MODEL_NAME
    entry = manager.active().get(name)
    report = retrain_logs(
        settings, LocalModelStore(settings.MODELS_ROOT), name,
        entry.model.embedder if entry else build_embedder(settings),
        learning.store.labelled_examples(name), rows=rows, seed=seed,
        current_version=entry.version if entry else "latest",
        tolerance=settings.RETRAIN_TOLERANCE)
    if report.promoted and report.candidate_version:
        manager.load(name, report.candidate_version)
    return report.to_dict()


RETRAINERS = {"task": retrain_task_model, "log": retrain_log_model}


@router.post("/models/{name}/retrain", status_code=202, response_model=JobPublic,
             dependencies=[TokenDep], responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def retrain_model(name: str, response: Response, manager: ManagerDep,
                        settings: SettingsDep, learning: LearningDep,
                        body: RetrainRequest | None = None) -> JobPublic:
    """Retrain with the feedback so far (token required); poll the job at
    GET /v1/jobs/{id}. The candidate goes live only if it is not worse."""
    kinds = {settings.TASK_MODEL_NAME: "task", settings.LOG_MODEL_NAME: "log"}
    if name not in kinds:
        known = set(manager.loaders) | set(manager.store.names())
        if name not in known:
            raise ProblemError(404, f"Unknown model {name!r}. Known: {', '.join(sorted(known))}.")
        raise ProblemError(422, f"Retraining through the API is available for "
                                f"{', '.join(sorted(kinds))}; for {name}, train a new version "
                                "with the training CLI (its corrections are kept in the store).")
    if name not in manager.loaders:
        raise ProblemError(409, f"No {name} version in the registry yet: train the first one "
                                "with `python -m training train-tasks` / `train-logs` and "
                                "restart the API.")
    busy = learning.jobs.running(f"retrain:{name}")
    if busy is not None:
        raise ProblemError(409, f"A retrain of {name} is already {busy.status}: poll "
                                f"GET /v1/jobs/{busy.id} and retry when it is done.")
    if not await run_in_threadpool(learning.store.labelled_examples, name):
        raise ProblemError(409, f"No labelled feedback for {name} yet, so there is nothing new "
                                "to learn. Send corrections with POST /v1/feedback first.")
    body = body or RetrainRequest()
    retrainer = RETRAINERS[kinds[name]]
    job = learning.jobs.submit(f"retrain:{name}", lambda: retrainer(
        settings, manager, learning, body.rows, body.seed))
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return JobPublic(**job.public())


@router.get("/jobs/{job_id}", response_model=JobPublic, tags=["jobs"], responses={404: {}})
def read_job(job_id: str, learning: LearningDep) -> JobPublic:
    """Status of a background job; `result` holds the retrain report when it is done."""
    job = learning.jobs.get(job_id)
    if job is None:
        raise ProblemError(404, f"Unknown job {job_id!r}; job ids come from POST .../retrain "
                                "and live until the server restarts.")
    return JobPublic(**job.public())
