"""POST /v1/logs in process: protobuf and JSON, partial success, errors, forwarding, and the
label-rate counters."""

from __future__ import annotations

import gzip
import json

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

from backend.api.state import app_state
from backend.pipelines import otlp
from tests.pipelines.conftest import AppFactory
from tests.pipelines.otlp_requests import export_request
from tests.utils.otlp_double import OTLPReceiverDouble

PB = {"Content-Type": otlp.PROTOBUF}
LINES = ["User User123 logged in.", "Payment gateway timeout after 30s for invoice 8812",
         "GET /api/v2/orders HTTP/1.1 500 Internal Server Error"]


def _answer(body: bytes) -> ExportLogsServiceResponse:
    response = ExportLogsServiceResponse()
    response.ParseFromString(body)
    return response


def test_protobuf_export_is_accepted_in_full(make_client: AppFactory) -> None:
    with make_client() as client:
        r = client.post("/v1/logs", content=export_request([("BillingSystem", LINES)])
                        .SerializeToString(), headers=PB)
    assert r.status_code == 200
    assert r.headers["content-type"] == otlp.PROTOBUF
    assert not _answer(r.content).HasField("partial_success")


def test_json_export_with_empty_bodies_reports_partial_success(make_client: AppFactory) -> None:
    document = json_format.MessageToDict(export_request([("BillingSystem", [*LINES, "", " "])]))
    with make_client() as client:
        r = client.post("/v1/logs", content=json.dumps(document),
                        headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    partial = r.json()["partialSuccess"]
    assert int(partial["rejectedLogRecords"]) == 2
    assert "empty body" in partial["errorMessage"]


def test_gzip_body_is_read(make_client: AppFactory) -> None:
    body = gzip.compress(export_request([("BillingSystem", LINES)]).SerializeToString())
    with make_client() as client:
        r = client.post("/v1/logs", content=body, headers={**PB, "Content-Encoding": "gzip"})
    assert r.status_code == 200


def test_undecodable_and_oversized_bodies_get_problem_json(make_client: AppFactory) -> None:
    with make_client(MAX_UPLOAD_MB=0.1) as client:
        bad = client.post("/v1/logs", content=b"\x0a\xff\xff\xff garbage", headers=PB)
        big = client.post("/v1/logs", content=export_request(
            [("BillingSystem", ["x" * 1000] * 1500)]).SerializeToString(), headers=PB)
        bomb = client.post("/v1/logs", content=gzip.compress(b"\x00" * 200_000),
                           headers={**PB, "Content-Encoding": "gzip"})
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"
    assert "ExportLogsServiceRequest" in bad.json()["detail"]
    assert big.status_code == 413
    assert bomb.status_code == 413
    assert "inflates" in bomb.json()["detail"]


def test_records_reach_the_downstream_with_sift_attributes(
        make_client: AppFactory, downstream: OTLPReceiverDouble) -> None:
    with make_client(OTLP_FORWARD_ENDPOINT=downstream.url) as client:
        r = client.post("/v1/logs", content=export_request(
            [("BillingSystem", [*LINES, ""]), ("ModernCRM", LINES)]).SerializeToString(),
                        headers=PB)
        ready = client.get("/ready").json()
    assert r.status_code == 200
    assert _answer(r.content).partial_success.rejected_log_records == 1
    assert [rec.body for rec in downstream.records] == LINES + LINES
    for rec in downstream.records:
        assert {"sift.label", "sift.confidence", "sift.tier", "sift.model_version"} <= set(
            rec.attributes)
    assert downstream.records[0].attributes["sift.label"] == "User Action"
    assert downstream.records[3].resource["service.name"] == "ModernCRM"
    assert ready["otlp_forward"]["forwarded_records"] == 6


def test_downstream_down_gives_503_with_retry_after(make_client: AppFactory) -> None:
    dead = OTLPReceiverDouble()  # never started: connection refused
    with make_client(OTLP_FORWARD_ENDPOINT=dead.url, OTLP_FORWARD_TIMEOUT_S=1.0,
                     OTLP_FORWARD_MAX_RETRIES=2) as client:
        r = client.post("/v1/logs", content=export_request([("BillingSystem", LINES)])
                        .SerializeToString(), headers=PB)
        metrics = client.get("/metrics").text
        ready = client.get("/ready").json()
    assert r.status_code == 503
    assert int(r.headers["Retry-After"]) >= 1
    assert "sift_otlp_forward_failures_total 1.0" in metrics
    assert 'sift_otlp_busy_total{cause="downstream"} 1.0' in metrics
    assert ready["otlp_forward"]["healthy"] is False


def test_downstream_refusal_is_reported_not_hidden(
        make_client: AppFactory, downstream: OTLPReceiverDouble) -> None:
    downstream.fail_with = 400
    with make_client(OTLP_FORWARD_ENDPOINT=downstream.url) as client:
        r = client.post("/v1/logs", content=export_request([("BillingSystem", LINES)])
                        .SerializeToString(), headers=PB)
    assert r.status_code == 200
    partial = _answer(r.content).partial_success
    assert partial.rejected_log_records == len(LINES)
    assert "refused" in partial.error_message


def test_label_rate_counters_fold_sources_beyond_the_limit(make_client: AppFactory) -> None:
    batches = [(f"svc-{i}", LINES[:1]) for i in range(5)]
    with make_client(METRICS_MAX_SOURCES=2) as client:
        client.post("/v1/logs", content=export_request(batches).SerializeToString(), headers=PB)
        client.post("/v1/logs/classify", json={"logs": [
            {"source": "svc-0", "log_message": LINES[0]}]})
        metrics = client.get("/metrics").text
    rows = [line for line in metrics.splitlines() if line.startswith("sift_log_labels_total")]
    sources = {line.split('source="')[1].split('"')[0] for line in rows}
    assert sources == {"svc-0", "svc-1", "other"}
    assert ('sift_log_labels_total{label="User Action",source="other",tier="rules"} 3.0'
            in rows)
    assert ('sift_log_labels_total{label="User Action",source="svc-0",tier="rules"} 2.0'
            in rows)


def test_saturated_receiver_answers_503_with_retry_after(make_client: AppFactory) -> None:
    body = export_request([("BillingSystem", LINES)]).SerializeToString()
    with make_client(OTLP_MAX_IN_FLIGHT=2) as client:
        receiver = app_state(client.app).otlp
        receiver.in_flight = 2  # two export requests being classified right now
        busy = client.post("/v1/logs", content=body, headers=PB)
        receiver.in_flight = 0
        after = client.post("/v1/logs", content=body, headers=PB)
        metrics = client.get("/metrics").text
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "1"
    assert busy.headers["content-type"] == "application/problem+json"
    assert after.status_code == 200
    assert 'sift_otlp_busy_total{cause="saturated"} 1.0' in metrics
