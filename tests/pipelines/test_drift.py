"""Drift: the monitor's statistics, and GET /v1/drift moving when the stream shifts."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from backend.logs.drift import DriftMonitor, DriftThresholds, Reference, psi
from tests.pipelines.conftest import AppFactory
from tests.utils.clock import FakeClock
from tests.utils.data import loghub_structured
from training.logs.generator import generate_logs


def _reference() -> Reference:
    keys = [f"key {i}" for i in range(10)]
    labels = ["Error"] * 5 + ["HTTP Status"] * 5
    return Reference.from_examples("v1", keys, labels, ["svc"] * 10, min_per_source=5)


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
                           clock=clock)
    monitor.set_reference(_reference())
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
    monitor.set_reference(_reference())
    for source in ("a", "b", "c", "d"):
        monitor.observe([source], ["key 1"], ["Error"], [0.9], 0.5)
    assert {r.source: r.records for r in monitor.report()} == {"a": 1, "b": 1, "other": 2}
    clock.now += 180  # past the window
    monitor.observe(["a"], ["key 1"], ["Error"], [0.9], 0.5)
    assert {r.source: r.records for r in monitor.report()} == {"a": 1}


def test_a_new_model_version_starts_a_new_comparison() -> None:
    monitor = DriftMonitor(clock=FakeClock(1_000_000.0))
    monitor.set_reference(_reference())
    monitor.observe(["svc"], ["key 1"], ["Error"], [0.9], 0.5)
    monitor.set_reference(Reference("v2", frozenset(), Counter({"Error": 1})))
    assert monitor.report() == []


def test_drift_endpoint_sees_a_flood_of_foreign_logs(make_client: AppFactory) -> None:
    generated = generate_logs(n=1500, seed=11)
    billing = generated[generated.source == "BillingSystem"]
    hdfs = loghub_structured("HDFS")["Content"].head(1000)
    with make_client(DRIFT_MIN_RECORDS=20) as client:
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
    assert calm["drifting"] is False, calm
    assert flooded["records"] == len(billing) + len(hdfs)
    assert flooded["new_template_share"] > 0.6 > calm["new_template_share"]
    assert flooded["label_psi"] > 0.25 > calm["label_psi"]
    assert flooded["drifting"] is True
    assert "BillingSystem:" in after["summary"] and "new templates" in after["summary"]
    assert 'sift_drift_label_psi{source="BillingSystem"}' in metrics
    assert sum(flooded["labels"].values()) == flooded["records"]


def test_csv_rows_sharing_an_answer_count_once_each(make_client: AppFactory) -> None:
    lines = loghub_structured("HDFS")["Content"].head(50).tolist() * 3  # shapes repeat
    body = "source,log_message\n" + "".join(f'HDFS,"{m}"\n' for m in lines)
    with make_client(DRIFT_MIN_RECORDS=20) as client:
        r = client.post("/v1/logs/classify/csv", files={"file": ("h.csv", body, "text/csv")})
        assert r.status_code == 200
        report = client.get("/v1/drift").json()
        metrics = client.get("/metrics").text
    (row,) = report["sources"]
    assert row["records"] == len(lines)
    assert sum(row["labels"].values()) == len(lines)
    counted = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                  if line.startswith('sift_log_labels_total{') and 'source="HDFS"' in line)
    assert counted == len(lines)
