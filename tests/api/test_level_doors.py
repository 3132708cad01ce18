"""The stated level reaches the model through every door (issue 23): a `level` / `severity`
field of a JSON log object, a `level` / `severity` CSV column, a level field of NDJSON and
JSON-array records, OTLP `severity_number` / `severity_text`, and a raw log's Level field.

The served model is the tiny real model with five level columns added to its head, whose
FATAL column alone is worth Security Alert: a line the tiny model calls Error becomes
Security Alert exactly when its stated level is FATAL (crit, emerg, 21, ...) and arrived.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from backend.api.main import create_app
from backend.embedding.linear import LinearHead
from backend.logs.levels import LEVEL_FEATURE, LEVELS, ONEHOT
from backend.logs.model import LogModel
from backend.pipelines import otlp
from backend.registry.local import LocalModelStore
from tests.utils.factories import make_settings, publish_tiny
from tests.utils.otlp_double import OTLPReceiverDouble

LINE = "Payment service crashed with exit code 137"  # the tiny model: Error
ALARM = "Security Alert"  # what a stated FATAL makes of it


def level_model(tiny: LogModel) -> LogModel:
    """The tiny model reading levels: its head plus five level columns, FATAL -> ALARM."""
    head = tiny.head
    levels = np.zeros((len(head.classes), len(LEVELS)), dtype=np.float32)
    levels[head.classes.index(ALARM), LEVELS.index("FATAL")] = 100.0
    wider = LinearHead(np.hstack([head.coef, levels]), head.intercept, head.classes,
                       head.temperature, head.threshold)
    return LogModel(wider, tiny.example_vectors, tiny.example_labels, tiny.example_sources,
                    tiny.embedder, config={LEVEL_FEATURE: ONEHOT})


@contextmanager
def serving(tmp_path: Path, tiny_model: LogModel, **settings: object) -> Iterator[TestClient]:
    store = LocalModelStore(tmp_path / "models")
    publish_tiny(store, level_model(tiny_model))
    app = create_app(make_settings(store.root, RATE_LIMIT="off", **settings),
                     load_in_background=False)
    with TestClient(app) as client:
        yield client


def test_json_log_objects_carry_level_or_severity(tmp_path: Path, tiny_model: LogModel
                                                  ) -> None:
    logs = [{"source": "BillingSystem", "log_message": LINE},
            {"source": "BillingSystem", "log_message": LINE, "level": "crit"},
            {"source": "BillingSystem", "log_message": LINE, "severity": 21},
            {"source": "BillingSystem", "log_message": LINE, "level": "INFO"},
            {"source": "BillingSystem", "log_message": LINE, "level": "combo"}]
    with serving(tmp_path, tiny_model) as client:
        r = client.post("/v1/logs/classify", json={"logs": logs})
    assert r.status_code == 200, r.text
    assert [p["label"] for p in r.json()["predictions"]] == [
        "Error", ALARM, ALARM, "Error", "Error"]


def test_a_level_that_is_not_a_word_or_number_is_a_422(tmp_path: Path, tiny_model: LogModel
                                                       ) -> None:
    with serving(tmp_path, tiny_model) as client:
        r = client.post("/v1/logs/classify", json={"logs": [
            {"source": "S", "log_message": LINE, "level": ["FATAL"]}]})
    assert r.status_code == 422
    assert "level" in r.text


def test_csv_level_or_severity_column(tmp_path: Path, tiny_model: LogModel) -> None:
    body = (f"source,log_message,Severity\nBillingSystem,{LINE},emerg\n"
            f"BillingSystem,{LINE},\nBillingSystem,{LINE},warning\n")
    with serving(tmp_path, tiny_model) as client:
        r = client.post("/v1/logs/classify/csv", files={"file": ("l.csv", body, "text/csv")},
                        headers={"Accept": "application/json"})
    assert r.status_code == 200, r.text
    assert [p["label"] for p in r.json()["predictions"]] == [ALARM, "Error", "Error"]


def test_ndjson_and_json_array_records_carry_a_level_field(tmp_path: Path,
                                                          tiny_model: LogModel) -> None:
    ndjson = "\n".join(json.dumps(r) for r in (
        {"message": LINE, "level": "FATAL"}, {"message": LINE},
        {"message": LINE, "log": {"level": "panic"}}, {"message": LINE, "severity": "info"}))
    array = [{"log": LINE, "severity_text": "CRITICAL"}, {"log": LINE, "levelname": "DEBUG"}]
    with serving(tmp_path, tiny_model) as client:
        lines = client.post("/v1/logs/classify", content=ndjson.encode(),
                            headers={"Content-Type": "application/x-ndjson"})
        items = client.post("/v1/logs/classify", json=array)
    assert lines.status_code == 200 and items.status_code == 200, lines.text + items.text
    assert [r["target_label"] for r in lines.json()["records"]] == [
        ALARM, "Error", ALARM, "Error"]
    assert [r["target_label"] for r in items.json()["records"]] == [ALARM, "Error"]


def test_raw_log_level_field(tmp_path: Path, tiny_model: LogModel) -> None:
    text = f"CRITICAL:billing:{LINE}\nINFO:billing:{LINE}\n"
    with serving(tmp_path, tiny_model) as client:
        r = client.post("/v1/logs/classify?log_format=auto", content=text.encode(),
                        headers={"Content-Type": "text/plain"})
    assert r.status_code == 200, r.text
    assert r.json()["log_format"] == "python"
    assert [rec["target_label"] for rec in r.json()["records"]] == [ALARM, "Error"]


def _otlp(severities: list[tuple[int, str]]) -> bytes:
    records = [LogRecord(body=AnyValue(string_value=LINE), severity_number=number,
                         severity_text=text) for number, text in severities]
    resource = Resource(attributes=[KeyValue(key="service.name",
                                             value=AnyValue(string_value="BillingSystem"))])
    request = ExportLogsServiceRequest(resource_logs=[ResourceLogs(
        resource=resource, scope_logs=[ScopeLogs(log_records=records)])])
    return request.SerializeToString()


def test_otlp_severity_number_or_text(tmp_path: Path, tiny_model: LogModel) -> None:
    with OTLPReceiverDouble() as downstream, serving(
            tmp_path, tiny_model, OTLP_FORWARD_ENDPOINT=downstream.url) as client:
        r = client.post("/v1/logs", content=_otlp([(21, "FATAL"), (9, "INFO"), (0, "crit"),
                                                   (0, "")]),
                        headers={"Content-Type": otlp.PROTOBUF})
        assert r.status_code == 200, r.text
        labels = [rec.attributes["sift.label"] for rec in downstream.records]
    assert labels == [ALARM, "Error", ALARM, "Error"]
