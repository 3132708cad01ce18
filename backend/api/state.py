"""What one app holds, typed and created once by `create_app`: no attribute of
`app.state` appears later or is looked up with a default."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

from backend.core.config import Settings
from backend.registry.active import ModelManager

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from backend.api.learning import Learning
    from backend.api.metrics import ServiceMetrics
    from backend.api.ratelimit import ClientRateLimiter
    from backend.pipelines.receiver import OTLPReceiver


@dataclass
class AppState:
    """The app's settings, served models, OTLP receiver, feedback loop, write quota, and
    the metrics when METRICS_ENABLED (set by `install_guards`)."""

    settings: Settings
    models: ModelManager
    otlp: OTLPReceiver
    learning: Learning
    write_quota: ClientRateLimiter | None
    metrics: ServiceMetrics | None = None
    purged_at: float = 0.0  # monotonic time of the last retention purge


def app_state(app: Starlette) -> AppState:
    """The app's state (`create_app` sets it before any request)."""
    state: AppState = app.state.sift
    return state


def state_of(conn: HTTPConnection) -> AppState:
    """The state of the app serving `conn` (a request)."""
    return app_state(conn.app)
