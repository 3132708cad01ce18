"""The retrain use case: a gated retrain in a child process, then the candidate served.

`POST /v1/models/{name}/retrain` and the drift trigger (`drift_retrain.py`) both start it
as a background job; the training code runs in the child (`python -m training retrain`),
never in the API's process.
"""

from __future__ import annotations

from typing import Any

from backend.core.config import Settings
from backend.feedback.retrain_job import run_retrain_process
from backend.feedback.store import LabelledExample
from backend.registry.active import ModelManager


def retrain_and_serve(settings: Settings, manager: ModelManager, name: str,
                      examples: list[LabelledExample], rows: int | None,
                      seed: int | None) -> dict[str, Any]:
    """Run the gated retrain in a child process (`python -m training retrain`) against the
    served version; load and serve the candidate if the gate promoted it."""
    entry = manager.active().get(name)
    report = run_retrain_process(settings, name, examples, rows=rows, seed=seed,
                                 current_version=entry.version if entry else None)
    if report.get("promoted") and report.get("candidate_version"):
        manager.load(name, str(report["candidate_version"]))
    return report
