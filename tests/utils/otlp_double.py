"""A downstream OTLP/HTTP logs receiver on 127.0.0.1 for tests and the benchmark.

A real `ThreadingHTTPServer` that decodes each `POST /v1/logs` body with
`opentelemetry-proto`, keeps every record with its attributes, and can be told to
answer with an error for a while or be stopped and started again on the same port
(a receiver that is down).
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)

from bench.server import free_port
from tests.utils.local_server import LocalHTTPServer


@dataclass(frozen=True)
class ReceivedRecord:
    body: str
    attributes: dict[str, object]
    resource: dict[str, object]


def _value(any_value: object) -> object:
    kind = any_value.WhichOneof("value")  # type: ignore[attr-defined]
    return getattr(any_value, kind) if kind else None


class OTLPReceiverDouble(LocalHTTPServer):
    """Collects the records it is sent; `fail_with` makes it answer an error status."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()  # known before the first start: a peer that is down
        self.records: list[ReceivedRecord] = []
        self.requests = 0
        self.fail_with: int | None = None
        self.retry_after: str | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/logs"

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                double._receive(self)

        return Handler

    def _receive(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        if handler.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        with self._lock:
            self.requests += 1
            status = self.fail_with
        if status is not None:
            handler.send_response(status)
            if self.retry_after:
                handler.send_header("Retry-After", self.retry_after)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        request = ExportLogsServiceRequest()
        request.ParseFromString(body)
        got = []
        for resource_logs in request.resource_logs:
            resource = {kv.key: _value(kv.value) for kv in resource_logs.resource.attributes}
            for scope_logs in resource_logs.scope_logs:
                for record in scope_logs.log_records:
                    got.append(ReceivedRecord(
                        str(_value(record.body)),
                        {kv.key: _value(kv.value) for kv in record.attributes}, resource))
        with self._lock:
            self.records.extend(got)
        reply = ExportLogsServiceResponse().SerializeToString()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-protobuf")
        handler.send_header("Content-Length", str(len(reply)))
        handler.end_headers()
        handler.wfile.write(reply)
