"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from backend.api.deps import ManagerDep
from backend.api.state import state_of

router = APIRouter(tags=["health"])


@router.get("/health")
def read_health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "A model is still loading or missing"}})
def read_ready(manager: ManagerDep, request: Request) -> JSONResponse:
    """Readiness: every model loaded at start is serving (models adopted from the
    registry later are listed on GET /v1/models), and, when logs are forwarded, how the
    downstream OTLP receiver is doing."""
    models = {}
    for name in sorted(manager.startup):
        if manager.is_loaded(name):
            models[name] = {"ready": True, "version": manager.get(name).version}
        else:
            models[name] = {"ready": False, "error": manager.error(name) or "loading"}
    ready = all(m["ready"] for m in models.values())
    body: dict[str, object] = {"ready": ready, "models": models}
    otlp = state_of(request).otlp
    if otlp is not None and otlp.forwarder is not None:
        body["otlp_forward"] = otlp.forwarder.status()
    return JSONResponse(body, status_code=200 if ready else 503)
