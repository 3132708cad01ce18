"""Persistent drift starts the gated retrain (DRIFT_RETRAIN_AFTER_S), not a passing one."""

from __future__ import annotations

from backend.api.drift_retrain import DriftRetrainer, DriftTrigger
from backend.api.state import app_state
from backend.logs.drift import SourceDrift
from tests.pipelines.conftest import AppFactory
from tests.utils.clock import FakeClock


def _row(source: str, drifting: bool) -> SourceDrift:
    return SourceDrift(source, 100, 0.9 if drifting else 0.1, 0.9, 0.0, 0.0, {},
                       drifting=drifting)


def test_trigger_waits_for_drift_to_persist_then_cools_down() -> None:
    clock = FakeClock(0.0)
    trigger = DriftTrigger(after_s=600, clock=clock)
    assert trigger.due([_row("billing", True)]) == []
    clock.now = 300
    assert trigger.due([_row("billing", False)]) == []  # it passed: the clock restarts
    clock.now = 400
    assert trigger.due([_row("billing", True)]) == []
    clock.now = 1000
    assert trigger.due([_row("billing", True), _row("crm", True)]) == ["billing"]
    clock.now = 1300
    assert trigger.due([_row("billing", True), _row("crm", True)]) == []  # cooling down
    clock.now = 1700
    assert trigger.due([_row("billing", True), _row("crm", True)]) == ["billing", "crm"]


def test_persistent_drift_without_corrections_says_there_is_nothing_to_learn(
        make_client: AppFactory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with make_client(DRIFT_RETRAIN_AFTER_S=1.0,
                     DATABASE_URL=f"sqlite:///{tmp_path / 'feedback.db'}") as client:
        retrainer = app_state(client.app).metrics.stream.on_report  # type: ignore[union-attr]
        assert isinstance(retrainer, DriftRetrainer)
        retrainer.trigger.clock = FakeClock(0.0)
        retrainer([_row("billing", True)])
        retrainer.trigger.clock.now = 5.0  # type: ignore[attr-defined]
        retrainer([_row("billing", True)])
        metrics = client.get("/metrics").text
        jobs = app_state(client.app).learning.jobs
        assert jobs.running("retrain:log-classifier") is None
    assert 'sift_drift_retrains_total{outcome="no corrections"} 1.0' in metrics
