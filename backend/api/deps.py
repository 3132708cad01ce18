"""Dependencies as `Annotated` aliases so handlers stay short."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backend.core.config import Settings
from backend.core.errors import ProblemError
from backend.logs.router import LogClassifier
from backend.registry.active import ModelManager, ModelNotLoadedError

_bearer = HTTPBearer(auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_manager(request: Request) -> ModelManager:
    manager: ModelManager = request.app.state.models
    return manager


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ManagerDep = Annotated[ModelManager, Depends(get_manager)]


def active_model(manager: ModelManager, name: str) -> Any:
    try:
        return manager.get(name).model
    except ModelNotLoadedError as exc:
        raise ProblemError(503, f"{exc}. Check GET /ready; train or pull a model if none exists.",
                           title="Model not ready", headers={"Retry-After": "5"}) from exc


def get_classifier(manager: ManagerDep, settings: SettingsDep) -> LogClassifier:
    classifier: LogClassifier = active_model(manager, settings.LOG_MODEL_NAME)
    return classifier


ClassifierDep = Annotated[LogClassifier, Depends(get_classifier)]


def require_token(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Mutating endpoints: 401 without a bearer token, 403 with a wrong one."""
    if settings.API_TOKEN is None:
        raise ProblemError(403, "Mutating endpoints are disabled: set API_TOKEN on the server.")
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ProblemError(401, "Send 'Authorization: Bearer <API_TOKEN>' for this endpoint.",
                           title="Unauthorized", headers={"WWW-Authenticate": "Bearer"})
    expected = settings.API_TOKEN.get_secret_value().encode()
    if not hmac.compare_digest(credentials.credentials.encode(), expected):
        raise ProblemError(403, "The bearer token is not valid for this server.")


TokenDep = Depends(require_token)
