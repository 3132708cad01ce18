"""Records/s through `POST /v1/logs` from the real OpenTelemetry SDK exporter.

Prints one JSON line: the Loghub samples (10,000 real lines of five systems, each
system its own `service.name`) sent through the SDK's BatchLogRecordProcessor and
OTLP/HTTP exporter to a real sift server, timed from the first emit to the final
flush; once without forwarding and once forwarding every record to a downstream OTLP
receiver on 127.0.0.1 (the records counted there must all arrive).

    python bench/otlp_throughput.py [--records 10000] [--batch 512]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from opentelemetry.exporter.otlp.proto.http._log_exporter import (  # noqa: E402
    OTLPLogExporter,
)
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler  # noqa: E402
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402

from bench.logs_throughput import loghub_frame  # noqa: E402
from bench.server import api_server  # noqa: E402
from tests.utils.otlp_double import OTLPReceiverDouble  # noqa: E402


def send(url: str, frame, batch: int) -> float:  # type: ignore[no-untyped-def]
    """Seconds to emit every row through one SDK pipeline per source and flush them all."""
    pipelines = []
    for source in sorted(frame["source"].unique()):
        provider = LoggerProvider(resource=Resource.create({"service.name": source}))
        provider.add_log_record_processor(BatchLogRecordProcessor(
            OTLPLogExporter(endpoint=f"{url}/v1/logs", timeout=120),
            max_queue_size=max(len(frame), batch) + 1, max_export_batch_size=batch,
            schedule_delay_millis=100))
        logger = logging.getLogger(f"bench-{source}")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        logger.handlers = [LoggingHandler(level=logging.INFO, logger_provider=provider)]
        pipelines.append((source, provider, logger))
    loggers = {source: logger for source, _, logger in pipelines}
    started = time.perf_counter()
    for source, message in zip(frame["source"], frame["log_message"], strict=True):
        loggers[source].info(message)
    for _, provider, _ in pipelines:
        provider.force_flush(600_000)
    elapsed = time.perf_counter() - started
    for _, provider, _ in pipelines:
        provider.shutdown()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=512, help="exporter batch size")
    args = parser.parse_args()
    frame = loghub_frame().head(args.records)
    env = {"RATE_LIMIT": "off", "LOG_LEVEL": "WARNING"}
    result: dict[str, object] = {"records": len(frame), "batch": args.batch}
    with api_server(env) as url:
        send(url, frame.head(500), args.batch)  # warm-up: load, first embeddings
        seconds = send(url, frame, args.batch)
        result["records_per_s"] = round(len(frame) / seconds, 1)
    with OTLPReceiverDouble() as downstream, api_server(
            {**env, "OTLP_FORWARD_ENDPOINT": downstream.url}) as url:
        send(url, frame.head(500), args.batch)
        before = len(downstream.records)
        seconds = send(url, frame, args.batch)
        result["records_per_s_forwarding"] = round(len(frame) / seconds, 1)
        result["forwarded"] = len(downstream.records) - before
    result["load_avg_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
