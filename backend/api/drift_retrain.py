"""Optional: start the gated retrain of the log model when drift persists.

With DRIFT_RETRAIN_AFTER_S set, a source that has been drifting for that long starts a
retrain (at most one per DRIFT_RETRAIN_AFTER_S, never while one runs). The retrain is
the same gated job as `POST /v1/models/{name}/retrain`: it learns from the corrections in
the feedback store and goes live only if it is not worse, so with no corrections there is
nothing to learn and the trigger only says so (logged and counted).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter

from backend.api.retraining import retrain_and_serve
from backend.api.state import app_state
from backend.logs.drift import SourceDrift

logger = logging.getLogger(__name__)


class DriftTrigger:
    """Decides when persistent drift should start a retrain (pure logic, testable)."""

    def __init__(self, after_s: float, clock: Callable[[], float] = time.time) -> None:
        self.after_s = after_s
        self.clock = clock
        self.since: dict[str, float] = {}
        self.last_start = float("-inf")

    def due(self, report: Sequence[SourceDrift]) -> list[str]:
        """The sources drifting for `after_s` or longer, when a retrain may start now."""
        now = self.clock()
        drifting = {row.source for row in report if row.drifting}
        self.since = {s: t for s, t in self.since.items() if s in drifting}
        for source in drifting:
            self.since.setdefault(source, now)
        persistent = sorted(s for s, t in self.since.items() if now - t >= self.after_s)
        if not persistent or now - self.last_start < self.after_s:
            return []
        self.last_start = now
        return persistent


class DriftRetrainer:
    """Runs the trigger on drift reports and starts the retrain job of the log model."""

    def __init__(self, app: FastAPI, after_s: float, registry: CollectorRegistry) -> None:
        self.app = app
        self.trigger = DriftTrigger(after_s)
        self.outcomes = Counter("sift_drift_retrains", "Retrains considered because drift "
                                "persisted, by outcome", ["outcome"], registry=registry)
        self._lock = threading.Lock()

    def __call__(self, report: Sequence[SourceDrift]) -> None:
        with self._lock:
            sources = self.trigger.due(report)
            if sources:
                self.outcomes.labels(self._start(sources)).inc()

    def _start(self, sources: list[str]) -> str:
        state = app_state(self.app)
        settings, learning = state.settings, state.learning
        name = settings.LOG_MODEL_NAME
        if learning.jobs.running(f"retrain:{name}") is not None:
            return "already running"
        examples = learning.store.labelled_examples(name)
        if not examples:
            logger.warning("drift persists (%s) but there are no corrections to retrain "
                           "%s on: correct some predictions (POST /v1/feedback)",
                           ", ".join(sources), name)
            return "no corrections"
        logger.info("drift persists (%s): starting a gated retrain of %s with %d "
                    "corrections", ", ".join(sources), name, len(examples))
        learning.jobs.submit(f"retrain:{name}", lambda: retrain_and_serve(
            settings, state.models, name, examples, None, None))
        return "started"
