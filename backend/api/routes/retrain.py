"""Gated retraining in the background, and the status of background jobs."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from backend.api.deps import ManagerDep, SettingsDep, TokenDep
from backend.api.learning import LearningDep
from backend.api.retraining import retrain_and_serve
from backend.api.schemas.retrain import JobPublic, RetrainRequest
from backend.core.errors import ProblemError
from backend.sessions.predictor import StepPredictor

router = APIRouter(prefix="/v1", tags=["models"])


@router.post("/models/{name}/retrain", status_code=202, response_model=JobPublic,
             dependencies=[TokenDep], responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}})
async def retrain_model(name: str, response: Response, manager: ManagerDep,
                        settings: SettingsDep, learning: LearningDep,
                        body: RetrainRequest | None = None) -> JobPublic:
    """Retrain with the feedback so far (token required); poll the job at
    GET /v1/jobs/{id}. The candidate goes live only if it is not worse."""
    kinds = {settings.TASK_MODEL_NAME: "task", settings.LOG_MODEL_NAME: "log"}
    entry = manager.active().get(name)
    if entry is not None and isinstance(entry.model, StepPredictor):
        kinds[name] = "step"  # any served step model, by name
    if name not in kinds:
        known = set(manager.loaders) | set(manager.store.names())
        if name not in known:
            raise ProblemError(404, f"Unknown model {name!r}. Known: {', '.join(sorted(known))}.")
        raise ProblemError(422, f"Retraining through the API is available for "
                                f"{', '.join(sorted(kinds))}; for {name}, train a new version "
                                "with the training CLI (its corrections are kept in the store).")
    if not manager.adopt(name):
        raise ProblemError(409, f"No {name} version in the registry yet: train the first one "
                                "with `python -m training train-tasks` / `train-logs` and "
                                "restart the API.")
    busy = learning.jobs.running(f"retrain:{name}")
    if busy is not None:
        raise ProblemError(409, f"A retrain of {name} is already {busy.status}: poll "
                                f"GET /v1/jobs/{busy.id} and retry when it is done.")
    examples = await run_in_threadpool(learning.store.labelled_examples, name)
    if not examples:
        raise ProblemError(409, f"No labelled feedback for {name} yet, so there is nothing new "
                                "to learn. Send corrections with POST /v1/feedback first.")
    body = body or RetrainRequest()
    job = learning.jobs.submit(f"retrain:{name}", lambda: retrain_and_serve(
        settings, manager, name, examples, body.rows, body.seed))
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
