"""The model registry as the service sees it: what is served, what could be."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool

from backend.api.deps import ManagerDep, SettingsDep, TokenDep
from backend.api.schemas.models import (
    ActivateRequest,
    ModelPublic,
    ModelsResponse,
    ModelVersionPublic,
    StepColumnsPublic,
)
from backend.core.config import Settings
from backend.core.errors import BadInputError, ModelIntegrityError, ProblemError
from backend.registry.active import ModelManager
from backend.registry.base import RemoteUnavailableError
from backend.registry.local import ModelNotFoundError
from backend.registry.manifest import Manifest, is_version
from backend.registry.mirror import MirroredModelStore
from backend.sessions.predictor import StepPredictor
from backend.sessions.service import KIND as STEP_KIND

router = APIRouter(prefix="/v1/models", tags=["models"])
ModelName = Annotated[str, Path(description="A model's registry name (GET /v1/models).",
                                openapi_examples={"log model": {"value": "log-classifier"}})]


def describe(manager: ModelManager, name: str, settings: Settings | None = None
             ) -> ModelPublic:
    versions = []
    for version in manager.store.versions(name):
        try:
            manifest = manager.store.manifest(name, version)
        except Exception:  # a broken version is listed, not fatal
            continue
        versions.append(ModelVersionPublic(version=version, created=manifest.created,
                                           metrics=manifest.metrics, labels=manifest.labels))
    entry = manager.active().get(name)
    current: Manifest | None = entry.manifest if entry else (
        manager.store.manifest(name, versions[-1].version) if versions else None)
    return ModelPublic(
        name=name, kind=current.kind if current else None,
        default=settings is not None and name in (settings.LOG_MODEL_NAME,
                                                  settings.TASK_MODEL_NAME,
                                                  settings.STEP_MODEL_NAME),
        columns=step_columns(entry.model.featurizer.columns.model_dump()
                             if entry and isinstance(entry.model, StepPredictor)
                             else current.params if current and current.kind == STEP_KIND
                             else {}),
        active_version=entry.version if entry else None,
        status="serving" if entry else "not loaded", error=manager.error(name),
        versions=versions, remote=describe_remote(manager, name))


def step_columns(source: dict[str, Any]) -> StepColumnsPublic | None:
    """A step model's column mapping: from the served model, else its manifest's params."""
    cols = source.get("columns", source)
    if not isinstance(cols, dict) or "session" not in cols:
        return None
    optional = [*cols.get("categorical", []), *cols.get("numeric", []), *cols.get("text", []),
                *([cols["image"]] if cols.get("image") else [])]
    return StepColumnsPublic(required=[cols["session"], cols["timestamp"], cols["event"]],
                             optional=optional, label=cols.get("label", ""))


def describe_remote(manager: ModelManager, name: str) -> dict[str, Any] | None:
    """The Hub side: repo, `reachable` or `unreachable: <why>`, and its version tags."""
    store = manager.store
    if not isinstance(store, MirroredModelStore):
        return None
    versions, status = store.remote_versions(name)
    return {"repo_id": store.remote.repo_id(name), "endpoint": store.remote.shown_endpoint,
            "status": status, "versions": versions or []}


@router.get("", response_model=ModelsResponse)
def read_models(manager: ManagerDep, settings: SettingsDep) -> ModelsResponse:
    """Every model the service can serve: the version being served (a model published
    while the service runs is loaded on first use), the versions available, their metrics."""
    names = manager.servable()
    return ModelsResponse(models=[describe(manager, name, settings) for name in names])


@router.post("/{name}/activate", response_model=ModelPublic, dependencies=[TokenDep],
             responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}, 503: {}})
async def activate_model(name: ModelName, body: ActivateRequest, manager: ManagerDep,
                         settings: SettingsDep) -> ModelPublic:
    """Switch the served version at run time (token required). Requests in flight finish
    on the old version; new ones get the new one."""
    if not await run_in_threadpool(manager.adopt, name):
        raise ProblemError(404, f"Unknown model {name!r}. Known: "
                                f"{', '.join(manager.servable())}.")
    if body.version != "latest" and not is_version(body.version):
        raise BadInputError(f"version {body.version!r} is not a version tag: send v1, v2, ... "
                            "or 'latest'.")
    try:
        await run_in_threadpool(manager.load, name, body.version)
    except ModelNotFoundError as exc:
        raise ProblemError(404, str(exc)) from exc
    except ModelIntegrityError as exc:
        raise ProblemError(409, f"{exc}. The previous version stays active.") from exc
    except RemoteUnavailableError as exc:
        raise ProblemError(503, f"{exc}. {body.version} is not in the local registry; the "
                                "previous version stays active.",
                           headers={"Retry-After": "30"}) from exc
    return describe(manager, name, settings)
