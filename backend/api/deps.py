"""Dependencies as `Annotated` aliases so handlers stay short."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backend.api.auth import Caller, authenticate
from backend.api.state import state_of
from backend.core.config import Settings
from backend.core.errors import ProblemError
from backend.logs.classifier import LogClassifier
from backend.registry.active import ModelManager, ModelNotLoadedError
from backend.sessions.predictor import StepPredictor

_bearer = HTTPBearer(auto_error=False)

# Lookups that never block are `async def`: FastAPI runs a plain `def` dependency in the
# thread pool, and those hops were most of a single-line call's dependency time.


async def get_settings_dep(request: Request) -> Settings:
    return state_of(request).settings


async def get_manager(request: Request) -> ModelManager:
    return state_of(request).models


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ManagerDep = Annotated[ModelManager, Depends(get_manager)]


def active_model(manager: ModelManager, name: str) -> Any:
    try:
        return manager.get(name).model
    except ModelNotLoadedError as exc:
        raise ProblemError(503, f"{exc}. Check GET /ready; train or pull a model if none exists.",
                           title="Model not ready", headers={"Retry-After": "5"}) from exc


MODEL_QUERY_MAX = 128
# `?model=` is read from the query by hand: declared as a FastAPI query parameter it cost
# every log call ~0.35 ms of FastAPI's per-parameter work (issue 25's single-line p50).
# `build_openapi` lists it on each route that depends on `get_classifier`.
MODEL_QUERY_PARAMETER: dict[str, Any] = {
    "name": "model", "in": "query", "required": False,
    "description": "A log model by registry name (default LOG_MODEL_NAME); one published "
                   "while the service runs is loaded on first use.",
    "schema": {"type": "string", "maxLength": MODEL_QUERY_MAX}}


async def get_classifier(request: Request) -> LogClassifier:
    """The served log model, or the one named in `?model=` (its first use loads it, off
    the event loop). It reads the app state itself: each sub-dependency is another solve
    on every log call."""
    state = state_of(request)
    manager, settings = state.models, state.settings
    model = request.query_params.get("model")
    if not model or model == settings.LOG_MODEL_NAME:
        classifier: LogClassifier = active_model(manager, settings.LOG_MODEL_NAME)
        return classifier
    if len(model) > MODEL_QUERY_MAX:
        raise ProblemError(422, f"?model= is {len(model)} characters long; a registry name "
                                f"has at most {MODEL_QUERY_MAX} (GET /v1/models lists them).")
    if not await run_in_threadpool(manager.adopt, model):
        raise ProblemError(404, f"Unknown log model {model!r}. Known models: "
                                f"{', '.join(manager.servable())} (GET /v1/models).")
    named = await run_in_threadpool(active_model, manager, model)
    if not isinstance(named, LogClassifier):
        raise ProblemError(422, f"{model!r} is not a log model (GET /v1/models lists each "
                                "model's kind).")
    return named


ClassifierDep = Annotated[LogClassifier, Depends(get_classifier)]


def require_admin(
    request: Request, settings: SettingsDep,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """Admin endpoints (activate, retrain, approve): the API_TOKEN only."""
    return authenticate(settings, request.headers.get("authorization"), "admin")


def require_writer(
    request: Request, settings: SettingsDep,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """Learning writes (feedback): a WRITER_TOKENS key or the API_TOKEN."""
    return authenticate(settings, request.headers.get("authorization"), "writer")


TokenDep = Depends(require_admin)
AdminDep = Annotated[Caller, Depends(require_admin)]
WriterDep = Annotated[Caller, Depends(require_writer)]


def step_models(manager: ModelManager) -> list[str]:
    """Names of the step models being served."""
    return sorted(name for name, entry in manager.active().items()
                  if isinstance(entry.model, StepPredictor))


def pick_step_model(manager: ModelManager, settings: Settings, name: str | None
                    ) -> tuple[str, StepPredictor]:
    """The named step model (default STEP_MODEL_NAME); 404 naming the served ones. A model
    published while the service runs is loaded here on first use (call it off the loop)."""
    name = name or settings.STEP_MODEL_NAME
    if not manager.adopt(name):
        known = ", ".join(step_models(manager)) or "none"
        raise ProblemError(404, f"Unknown step model {name!r}. Served step models: {known} "
                                "(GET /v1/models).")
    tagger = active_model(manager, name)
    if not isinstance(tagger, StepPredictor):
        raise ProblemError(422, f"{name!r} is not a step model. Served step models: "
                                f"{', '.join(step_models(manager)) or 'none'}.")
    return name, tagger
