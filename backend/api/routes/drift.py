"""`GET /v1/drift`: how far each source's live log stream has moved from its own baseline."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from backend.api.deps import SettingsDep
from backend.api.state import state_of
from backend.core.errors import ProblemError

router = APIRouter(prefix="/v1", tags=["pipelines"])


@router.get("/drift")
async def read_drift(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Per source over the last DRIFT_WINDOW_S, against its own baseline (its first
    BASELINE_RECORDS lines, or one pinned): share of templates not in it, mean
    confidence, label-mix PSI, and whether it drifts (never while the baseline is learnt)."""
    metrics = state_of(request).metrics
    stream = metrics.stream if metrics is not None else None
    monitor = stream.drift if stream is not None else None
    if stream is None or monitor is None:
        raise ProblemError(404, "Drift tracking is off: set DRIFT_ENABLED=true and "
                                "METRICS_ENABLED=true.")
    await run_in_threadpool(stream.flush, 2.0)
    sources = [asdict(row) for row in monitor.report()]
    drifting = [row["summary"] for row in sources if row["drifting"]]
    return {
        "model_version": monitor.version,
        "window_s": settings.DRIFT_WINDOW_S,
        "thresholds": asdict(monitor.thresholds),
        "drifting": drifting,
        "summary": "; ".join(drifting) if drifting else
                   ("no source drifts" if sources else "no logs classified in the window"),
        "sources": sources,
    }
