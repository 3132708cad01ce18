"""OTLP/HTTP logs on the wire: decode an export request (protobuf or JSON), pull out what
sift classifies, and write the labels back onto the same records.

The OpenTelemetry protocol carries logs as `ExportLogsServiceRequest` ->
resource_logs -> scope_logs -> log_records. sift classifies each record's body
with the source taken from a resource attribute (`service.name` by default), and
answers with `ExportLogsServiceResponse`, whose `partial_success` counts the records
it rejected and says why. JSON is the protocol's JSON mapping (camelCase keys,
trace and span ids as hex, 64-bit integers as strings).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
# keys of a structured (kvlist) body that hold the human-readable message
MESSAGE_KEYS = ("message", "msg", "log", "body", "text")
_HEX_ID_FIELDS = ("traceId", "spanId")


class OTLPDecodeError(ValueError):
    """The body is not an OTLP logs export request in the given encoding."""


class Labelled(Protocol):
    """What sift writes back onto a record (a log Prediction has these)."""

    label: str
    confidence: float
    tier: str
    model_version: str
    reason: str | None


@dataclass(frozen=True)
class Received:
    """A decoded request and, in record order, what to classify."""

    request: ExportLogsServiceRequest
    sources: list[str]
    messages: list[str]
    # each record's stated level: severity_number when set (1-24), else severity_text
    levels: list[object] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.messages)


def media_type(content_type: str | None) -> str:
    """The OTLP encoding named by a Content-Type header (protobuf unless it says JSON)."""
    kind = (content_type or "").split(";")[0].strip().lower()
    return JSON if kind == JSON or kind.endswith("+json") else PROTOBUF


def decode_request(body: bytes, encoding: str) -> ExportLogsServiceRequest:
    """Parse an export request; OTLPDecodeError says what is wrong."""
    request = ExportLogsServiceRequest()
    if encoding == JSON:
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise OTLPDecodeError(f"the body is not JSON ({exc})") from exc
        if not isinstance(document, dict):
            raise OTLPDecodeError("an OTLP JSON body is an object with `resourceLogs`")
        try:
            json_format.ParseDict(_ids_to_base64(document), request, ignore_unknown_fields=True)
        except (json_format.ParseError, RecursionError, ValueError) as exc:
            raise OTLPDecodeError(f"not an OTLP logs request: {exc}") from exc
        return request
    try:
        request.ParseFromString(body)
    except (DecodeError, RecursionError, ValueError) as exc:
        raise OTLPDecodeError(f"not a protobuf ExportLogsServiceRequest ({exc})") from exc
    return request


def _ids_to_base64(node: Any) -> Any:
    """OTLP/JSON writes trace and span ids as hex; protobuf's JSON mapping reads bytes as
    base64. Convert them, so a forwarded record keeps its ids."""
    if isinstance(node, list):
        return [_ids_to_base64(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in _HEX_ID_FIELDS and isinstance(value, str):
            try:
                value = base64.b64encode(bytes.fromhex(value)).decode("ascii")
            except ValueError:
                pass  # not hex: leave it for the parser to judge
        out[key] = _ids_to_base64(value)
    return out


def records(request: ExportLogsServiceRequest) -> Iterator[tuple[dict[str, str], LogRecord]]:
    """(resource attributes as text, record) for every record, in order."""
    for resource_logs in request.resource_logs:
        attributes = {kv.key: text_of(kv.value)
                      for kv in resource_logs.resource.attributes}
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                yield attributes, record


def extract(request: ExportLogsServiceRequest, source_attribute: str) -> Received:
    """What to classify: each record's body and its source (resource attribute, else the
    record's own attribute of that name, else empty)."""
    sources: list[str] = []
    messages: list[str] = []
    levels: list[object] = []
    for resource, record in records(request):
        source = resource.get(source_attribute)
        if source is None:
            own = {kv.key: kv.value for kv in record.attributes}
            source = text_of(own[source_attribute]) if source_attribute in own else ""
        sources.append(source)
        messages.append(text_of(record.body))
        levels.append(record.severity_number or record.severity_text or None)
    return Received(request, sources, messages, levels)


def text_of(value: AnyValue) -> str:
    """A body or attribute as text: strings as they are; a structured body by its message
    key (`message`, `msg`, `log`, ...) or else as compact JSON; bytes as UTF-8."""
    kind = value.WhichOneof("value")
    if kind is None:
        return ""
    if kind == "string_value":
        return value.string_value
    if kind == "bytes_value":
        return value.bytes_value.decode("utf-8", errors="replace")
    if kind == "kvlist_value":
        fields = {kv.key: kv.value for kv in value.kvlist_value.values}
        for key in MESSAGE_KEYS:
            if key in fields and fields[key].WhichOneof("value") == "string_value":
                return fields[key].string_value
    plain = json_format.MessageToDict(value)
    inner = next(iter(plain.values()), "")
    return inner if isinstance(inner, str) else json.dumps(inner, separators=(",", ":"))


def label_records(received: Received,
                  predictions: Sequence[Labelled | None]) -> ExportLogsServiceRequest:
    """A copy of the request whose records carry `sift.*` attributes; records without a
    prediction (rejected ones) are left out."""
    out = ExportLogsServiceRequest()
    out.CopyFrom(received.request)
    index = 0
    for resource_logs in out.resource_logs:
        for scope_logs in resource_logs.scope_logs:
            dropped = []
            for position, record in enumerate(scope_logs.log_records):
                prediction = predictions[index]
                if prediction is None:
                    dropped.append(position)
                else:
                    _annotate(record, prediction)
                index += 1
            for position in reversed(dropped):
                del scope_logs.log_records[position]
    return out


def _annotate(record: LogRecord, prediction: Labelled) -> None:
    attributes: list[tuple[str, AnyValue]] = [
        ("sift.label", AnyValue(string_value=prediction.label)),
        ("sift.confidence", AnyValue(double_value=round(float(prediction.confidence), 4))),
        ("sift.tier", AnyValue(string_value=prediction.tier)),
        ("sift.model_version", AnyValue(string_value=prediction.model_version)),
    ]
    stage = getattr(prediction, "stage", None)
    if stage:
        attributes.append(("sift.stage", AnyValue(string_value=str(stage))))
    template = getattr(prediction, "template", None)  # the pattern the record belongs to
    if template:
        attributes.append(("sift.template", AnyValue(string_value=str(template))))
    if prediction.reason:
        attributes.append(("sift.reason", AnyValue(string_value=prediction.reason)))
    names = {name for name, _ in attributes}
    kept = [kv for kv in record.attributes if kv.key not in names]  # a re-sent record
    del record.attributes[:]
    record.attributes.extend(kept)
    record.attributes.extend(KeyValue(key=name, value=value) for name, value in attributes)


def encode_request(request: ExportLogsServiceRequest) -> bytes:
    return request.SerializeToString()


def encode_response(rejected: int, message: str, encoding: str) -> bytes:
    """`ExportLogsServiceResponse`; `partial_success` only when something was rejected."""
    response = ExportLogsServiceResponse()
    if rejected:
        response.partial_success.rejected_log_records = rejected
        response.partial_success.error_message = message
    if encoding == JSON:
        return json_format.MessageToJson(response, indent=None).encode("utf-8")
    return response.SerializeToString()


def decode_response(body: bytes, encoding: str) -> tuple[int, str]:
    """(rejected records, message) of a downstream receiver's answer; an empty or
    unreadable body counts as full success, as the protocol allows."""
    response = ExportLogsServiceResponse()
    try:
        if encoding == JSON:
            json_format.Parse(body or b"{}", response, ignore_unknown_fields=True)
        else:
            response.ParseFromString(body)
    except (DecodeError, json_format.ParseError, binascii.Error, ValueError):
        return 0, ""
    partial = response.partial_success
    return int(partial.rejected_log_records), partial.error_message
