"""The model registry as the service sees it: what is served, what could be."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from backend.api.deps import ManagerDep, TokenDep
from backend.api.schemas import ActivateRequest, ModelPublic, ModelsResponse, ModelVersionPublic
from backend.core.errors import BadInputError, ModelIntegrityError, ProblemError
from backend.registry.active import ModelManager
from backend.registry.base import RemoteUnavailableError
from backend.registry.local import ModelNotFoundError
from backend.registry.manifest import is_version
from backend.registry.mirror import MirroredModelStore

router = APIRouter(prefix="/v1/models", tags=["models"])


def describe(manager: ModelManager, name: str) -> ModelPublic:
    versions = []
    for version in manager.store.versions(name):
        try:
            manifest = manager.store.manifest(name, version)
        except Exception:  # a broken version is listed, not fatal
            continue
        versions.append(ModelVersionPublic(version=version, created=manifest.created,
                                           metrics=manifest.metrics, labels=manifest.labels))
    entry = manager.active().get(name)
    return ModelPublic(
        name=name, active_version=entry.version if entry else None,
        status="serving" if entry else "not loaded", error=manager.error(name),
        versions=versions, remote=describe_remote(manager, name))


def describe_remote(manager: ModelManager, name: str) -> dict[str, Any] | None:
    """The Hub side: repo, `reachable` or `unreachable: <why>`, and its version tags."""
    store = manager.store
    if not isinstance(store, MirroredModelStore):
        return None
    versions, status = store.remote_versions(name)
    return {"repo_id": store.remote.repo_id(name), "endpoint": store.remote.endpoint,
            "status": status, "versions": versions or []}


@router.get("", response_model=ModelsResponse)
def read_models(manager: ManagerDep) -> ModelsResponse:
    """Every model: the version being served, the versions available, their metrics."""
    names = sorted(set(manager.loaders) | set(manager.store.names()))
    return ModelsResponse(models=[describe(manager, name) for name in names])


@router.post("/{name}/activate", response_model=ModelPublic, dependencies=[TokenDep],
             responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}, 503: {}})
async def activate_model(name: str, body: ActivateRequest, manager: ManagerDep) -> ModelPublic:
    """Switch the served version at run time (token required). Requests in flight finish
    on the old version; new ones get the new one."""
    if name not in manager.loaders:
        raise ProblemError(404, f"Unknown model {name!r}. Known: {', '.join(manager.loaders)}.")
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
    return describe(manager, name)
