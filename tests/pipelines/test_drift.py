"""Drift: the monitor's statistics against each source's own baseline, and GET /v1/drift
moving when a stream shifts, not when a known file comes again (issue 23, item 6)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from backend.feedback.patterns import Baseline
from backend.logs.drift import DriftMonitor, DriftThresholds, psi
from tests.pipelines.conftest import AppFactory
from tests.utils.clock import FakeClock
from tests.utils.data import loghub_structured
from training.logs.generator import generate_logs

BASELINES = {"svc": Baseline("svc", "complete", 10, 10, 0.0, 1.0,
                             {"Error": 5, "HTTP Status": 5},
                             frozenset(f"key {i}" for i in range(10)))}


def test_psi_is_zero_for_equal_mixes_and_grows_with_the_shift() -> None:
    same = psi({"a": 50, "b": 50}, {"a": 5, "b": 5})
    small = psi({"a": 60, "b": 40}, {"a": 50, "b": 50})
    large = psi({"a": 95, "b": 5}, {"a": 50, "b": 50})
    assert same == pytest.approx(0.0)
    assert small == pytest.approx(0.1 * math.log(0.6 / 0.5) - 0.1 * math.log(0.4 / 0.5))
    assert large > 0.25 > small


def test_monitor_flags_new_templates_label_shift_and_low_confidence() -> None:
    clock = FakeClock(1_000_000.0)
    monitor = DriftMonitor(window_s=600, thresholds=DriftThresholds(min_records=10),
                           clock=clock, baselines=lambda: BASELINES)
    monitor.observe(["svc"] * 10, [f"key {i}" for i in range(10)],
                    ["Error"] * 5 + ["HTTP Status"] * 5, [0.95] * 10, 0.5)
    (calm,) = monitor.report()
    assert (calm.new_template_share, calm.label_psi, calm.drifting) == (0.0, 0.0, False)
    monitor.observe(["svc"] * 30, ["never seen"] * 30, ["Critical Error"] * 30, [0.3] * 30, 0.5)
    (shifted,) = monitor.report()
    assert shifted.records == 40
    assert shifted.new_template_share == 0.75
    assert shifted.low_confidence_share == 0.75
    assert set(shifted.reasons) == {"new templates", "label mix", "low confidence"}
    assert shifted.summary.startswith("svc: 75% new templates in the last 10 minutes")


def test_window_slides_and_sources_fold_into_other() -> None:
    clock = FakeClock(1_000_000.0)
    monitor = DriftMonitor(window_s=120, bucket_s=60, max_sources=2, clock=clock)
    for source in ("a", "b", "c", "d"):
        monitor.observe([source], ["key 1"], ["Error"], [0.9], 0.5)
    assert {r.source: r.records for r in monitor.report()} == {"a": 1, "b": 1, "other": 2}
    clock.now += 180  # past the window
    monitor.observe(["a"], ["key 1"], ["Error"], [0.9], 0.5)
    assert {r.source: r.records for r in monitor.report()} == {"a": 1}


def test_a_new_model_version_starts_a_new_window() -> None:
    monitor = DriftMonitor(clock=FakeClock(1_000_000.0), baselines=lambda: BASELINES)
    monitor.set_version("v1")
    monitor.observe(["svc"], ["key 1"], ["Error"], [0.9], 0.5)
    monitor.set_version("v2")
    assert monitor.report() == []


def test_a_source_learning_its_baseline_never_drifts() -> None:
    monitor = DriftMonitor(thresholds=DriftThresholds(min_records=5),
                           clock=FakeClock(1_000_000.0))
    monitor.observe(["new"] * 20, ["never seen"] * 20, ["Critical Error"] * 20, [0.1] * 20, 0.5)
    (row,) = monitor.report()
    assert (row.baseline, row.drifting, row.new_template_share) == ("learning", False, 0.0)
    assert row.summary.startswith("new: learning its baseline")


def test_drift_endpoint_sees_a_flood_of_foreign_logs(make_client: AppFactory,
                                                     tmp_path: Path) -> None:
    generated = generate_logs(n=1500, seed=11)
    billing = generated[generated.source == "BillingSystem"]
    hdfs = loghub_structured("HDFS")["Content"].head(1000)
    with make_client(DRIFT_MIN_RECORDS=20, BASELINE_RECORDS=len(billing), PATTERNS_FLUSH_S=0,
                     DATABASE_URL=f"sqlite:///{tmp_path / 'fb.db'}") as client:
        client.post("/v1/logs/classify", json={"logs": [
            {"source": "BillingSystem", "log_message": m} for m in billing.log_message]})
        before = client.get("/v1/drift").json()
        client.post("/v1/logs/classify", json={"logs": [
            {"source": "BillingSystem", "log_message": m} for m in hdfs]})
        after = client.get("/v1/drift").json()
        metrics = client.get("/metrics").text
    calm = next(r for r in before["sources"] if r["source"] == "BillingSystem")
    flooded = next(r for r in after["sources"] if r["source"] == "BillingSystem")
    assert calm["records"] == len(billing)
    assert calm["drifting"] is False and calm["baseline"] == "complete", calm
    assert flooded["records"] == len(billing) + len(hdfs)
    assert flooded["new_template_share"] > 0.6 > calm["new_template_share"]
    assert flooded["label_psi"] > 0.25 > calm["label_psi"]
    assert flooded["drifting"] is True
    assert "BillingSystem:" in after["summary"] and "new templates" in after["summary"]
    assert 'sift_drift_label_psi{source="BillingSystem"}' in metrics
    assert sum(flooded["labels"].values()) == flooded["records"]


def test_csv_rows_sharing_an_answer_count_once_each(make_client: AppFactory,
                                                    tmp_path: Path) -> None:
    lines = loghub_structured("HDFS")["Content"].head(50).tolist() * 3  # shapes repeat
    body = "source,log_message\n" + "".join(f'HDFS,"{m}"\n' for m in lines)
    with make_client(DRIFT_MIN_RECORDS=20,
                     DATABASE_URL=f"sqlite:///{tmp_path / 'fb.db'}") as client:
        r = client.post("/v1/logs/classify/csv", params={"live": "true"},
                        files={"file": ("h.csv", body, "text/csv")})
        assert r.status_code == 200
        report = client.get("/v1/drift").json()
        metrics = client.get("/metrics").text
    (row,) = report["sources"]
    assert row["records"] == len(lines)
    assert sum(row["labels"].values()) == len(lines)
    counted = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                  if line.startswith('sift_log_labels_total{') and 'source="HDFS"' in line)
    assert counted == len(lines)


def _real_file(client: object, system: str, source: str) -> None:
    body = "source,log_message\n" + "".join(
        f'{source},"{m.replace(chr(34), chr(39))}"\n'
        for m in loghub_structured(system)["Content"])
    r = client.post("/v1/logs/classify/csv", params={"live": "true"},  # type: ignore[attr-defined]
                    files={"file": (f"{system}.csv", body, "text/csv")})
    assert r.status_code == 200, r.text


def test_the_same_real_file_twice_raises_no_drift_alarm(make_client: AppFactory,
                                                        tmp_path: Path) -> None:
    with make_client(DRIFT_MIN_RECORDS=20, PATTERNS_FLUSH_S=0,
                     DATABASE_URL=f"sqlite:///{tmp_path / 'fb.db'}") as client:
        _real_file(client, "Linux", "linux-hosts")
        first = client.get("/v1/drift").json()
        _real_file(client, "Linux", "linux-hosts")
        second = client.get("/v1/drift").json()
    (row,) = second["sources"]
    assert first["drifting"] == [] and second["drifting"] == [], second["summary"]
    assert row["records"] == 4000 and row["baseline"] == "complete"
    assert row["new_template_share"] == 0.0 and row["label_psi"] < 0.01


def test_a_new_real_source_sets_its_own_baseline_which_survives_a_restart(
        make_client: AppFactory, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'fb.db'}"
    with make_client(PATTERNS_FLUSH_S=0, DATABASE_URL=db) as client:
        _real_file(client, "Apache", "web")
        before = {b["source"]: b for b in client.get("/v1/logs/baselines").json()["baselines"]}
    assert before["web"]["state"] == "complete" and before["web"]["records"] == 2000
    assert before["web"]["templates"] == 6  # Apache's six templates, its own
    with make_client(PATTERNS_FLUSH_S=0, DATABASE_URL=db, DRIFT_MIN_RECORDS=20) as restarted:
        after = {b["source"]: b for b in
                 restarted.get("/v1/logs/baselines").json()["baselines"]}
        _real_file(restarted, "Apache", "web")  # the same system again: nothing new
        drift = restarted.get("/v1/drift").json()
    assert after["web"] == before["web"]
    (row,) = drift["sources"]
    assert row["baseline"] == "complete" and row["drifting"] is False
    assert row["new_template_share"] == 0.0
