"""The OTLP codec: protobuf and JSON in, labels written back, responses out."""

from __future__ import annotations

import json

import pytest
from google.protobuf import json_format
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue, KeyValueList

from backend.logs.classifier import Prediction
from backend.pipelines import otlp
from tests.pipelines.otlp_requests import export_request


def _prediction(label: str = "Error") -> Prediction:
    return Prediction("svc", "m", label, 0.87654, "model", "v9")


def test_decode_protobuf_extracts_sources_and_bodies_in_order() -> None:
    request = export_request([("billing", ["a", "b"]), ("crm", ["c"])])
    received = otlp.extract(otlp.decode_request(request.SerializeToString(), otlp.PROTOBUF),
                            "service.name")
    assert received.sources == ["billing", "billing", "crm"]
    assert received.messages == ["a", "b", "c"]


def test_decode_json_keeps_hex_trace_ids() -> None:
    request = export_request([("billing", ["disk full"])])
    document = json_format.MessageToDict(request)
    record = document["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    record["traceId"] = bytes(range(16)).hex()  # OTLP/JSON writes ids as hex
    record["spanId"] = bytes(range(8)).hex()
    decoded = otlp.decode_request(json.dumps(document).encode(), otlp.JSON)
    got = decoded.resource_logs[0].scope_logs[0].log_records[0]
    assert got.trace_id == bytes(range(16))
    assert got.span_id == bytes(range(8))


@pytest.mark.parametrize("body", [b"\x00garbage\xff", b"{not json", b"[1, 2]",
                                  b'{"resourceLogs": 3}'])
def test_undecodable_bodies_raise_a_decode_error(body: bytes) -> None:
    encoding = otlp.PROTOBUF if body.startswith(b"\x00") else otlp.JSON
    with pytest.raises(otlp.OTLPDecodeError):
        otlp.decode_request(body, encoding)


def test_structured_body_uses_its_message_key() -> None:
    body = AnyValue(kvlist_value=KeyValueList(values=[
        KeyValue(key="level", value=AnyValue(string_value="error")),
        KeyValue(key="msg", value=AnyValue(string_value="payment failed"))]))
    assert otlp.text_of(body) == "payment failed"
    assert otlp.text_of(AnyValue(bytes_value="é".encode())) == "é"
    assert otlp.text_of(AnyValue(int_value=42)) == "42"
    assert otlp.text_of(AnyValue()) == ""


def test_label_records_adds_sift_attributes_and_leaves_out_rejected() -> None:
    received = otlp.extract(export_request([("billing", ["a", "", "c"])]), "service.name")
    labelled = otlp.label_records(received, [_prediction("Error"), None,
                                             _prediction("HTTP Status")])
    records = labelled.resource_logs[0].scope_logs[0].log_records
    assert [r.body.string_value for r in records] == ["a", "c"]
    attributes = {kv.key: kv.value for kv in records[1].attributes}
    assert attributes["sift.label"].string_value == "HTTP Status"
    assert attributes["sift.confidence"].double_value == pytest.approx(0.8765)
    assert attributes["sift.tier"].string_value == "model"
    assert attributes["sift.model_version"].string_value == "v9"
    assert attributes["n"].int_value == 2  # the record's own attributes are kept
    assert records[0].trace_id == bytes(range(16))


@pytest.mark.parametrize("encoding", [otlp.PROTOBUF, otlp.JSON])
def test_response_round_trip_reports_partial_success(encoding: str) -> None:
    body = otlp.encode_response(3, "3 record(s): empty body", encoding)
    assert otlp.decode_response(body, encoding) == (3, "3 record(s): empty body")
    assert otlp.decode_response(otlp.encode_response(0, "", encoding), encoding) == (0, "")


def test_media_type_defaults_to_protobuf() -> None:
    assert otlp.media_type("application/json; charset=utf-8") == otlp.JSON
    assert otlp.media_type("application/x-protobuf") == otlp.PROTOBUF
    assert otlp.media_type(None) == otlp.PROTOBUF
