"""Build OTLP logs export requests the way exporters send them."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource


def export_request(batches: Sequence[tuple[str, Sequence[str]]]) -> ExportLogsServiceRequest:
    """One ResourceLogs per (service.name, bodies)."""
    request = ExportLogsServiceRequest()
    for service, bodies in batches:
        resource = Resource(attributes=[KeyValue(key="service.name",
                                                 value=AnyValue(string_value=service))])
        records = [LogRecord(body=AnyValue(string_value=body), severity_text="INFO",
                             trace_id=bytes(range(16)), span_id=bytes(range(8)),
                             attributes=[KeyValue(key="n", value=AnyValue(int_value=i))])
                   for i, body in enumerate(bodies)]
        request.resource_logs.append(ResourceLogs(
            resource=resource, scope_logs=[ScopeLogs(log_records=records)]))
    return request
