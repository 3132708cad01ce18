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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)

from bench.server import free_port


@dataclass(frozen=True)
class ReceivedRecord:
    body: str
    attributes: dict[str, object]
    resource: dict[str, object]


def _value(any_value: object) -> object:
    kind = any_value.WhichOneof("value")  # type: ignore[attr-defined]
    return getattr(any_value, kind) if kind else None


class OTLPReceiverDouble:
    """Collects the records it is sent; `fail_with` makes it answer an error status."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.records: list[ReceivedRecord] = []
        self.requests = 0
        self.fail_with: int | None = None
        self.retry_after: str | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/logs"

    def start(self) -> Self:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                with double._lock:
                    double.requests += 1
                    status = double.fail_with
                if status is not None:
                    self.send_response(status)
                    if double.retry_after:
                        self.send_header("Retry-After", double.retry_after)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                request = ExportLogsServiceRequest()
                request.ParseFromString(body)
                got = []
                for resource_logs in request.resource_logs:
                    resource = {kv.key: _value(kv.value)
                                for kv in resource_logs.resource.attributes}
                    for scope_logs in resource_logs.scope_logs:
                        for record in scope_logs.log_records:
                            got.append(ReceivedRecord(
                                str(_value(record.body)),
                                {kv.key: _value(kv.value) for kv in record.attributes},
                                resource))
                with double._lock:
                    double.records.extend(got)
                reply = ExportLogsServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the port: senders get connection refused until `start()` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
