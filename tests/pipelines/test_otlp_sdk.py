"""The real OpenTelemetry Python SDK (OTLP/HTTP log exporter, batch processor) as the
client of a real sift server, forwarding to a downstream receiver on 127.0.0.1."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from tests.utils.otlp_double import OTLPReceiverDouble
from tests.utils.processes import api_server

TEMPLATES = [
    "Payment gateway timeout after {n}s for invoice {m}",
    "User User{n} logged in.",
    "GET /api/v2/orders/{m} HTTP/1.1 500 Internal Server Error",
    "Disk usage on /var/data at {n}% on node-{m}",
    "Multiple failed login attempts for admin from 10.0.{n}.{m}",
]


def _messages(n: int) -> list[str]:
    return [TEMPLATES[i % len(TEMPLATES)].format(n=i % 97, m=1000 + i) for i in range(n)]


@contextmanager
def _sdk_logger(endpoint: str, service: str, batch: int = 512) -> Iterator[logging.Logger]:
    """A Python logger whose records go through the SDK's batch processor and OTLP/HTTP
    exporter to `endpoint`; flushed and shut down on exit."""
    provider = LoggerProvider(resource=Resource.create({"service.name": service}))
    exporter = OTLPLogExporter(endpoint=endpoint, timeout=60)
    provider.add_log_record_processor(BatchLogRecordProcessor(
        exporter, max_queue_size=50_000, max_export_batch_size=batch,
        schedule_delay_millis=200))
    logger = logging.getLogger(f"otlp-test-{service}-{time.monotonic_ns()}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(LoggingHandler(level=logging.INFO, logger_provider=provider))
    try:
        yield logger
    finally:
        assert provider.force_flush(120_000)
        provider.shutdown()


def _metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


@pytest.mark.slow
def test_ten_thousand_records_from_the_sdk_arrive_labelled(tmp_path: Path) -> None:
    with OTLPReceiverDouble() as downstream, api_server(
            tmp_path, env={"OTLP_FORWARD_ENDPOINT": downstream.url, "RATE_LIMIT": "off"}) as url:
        sent = _messages(10_000)
        with _sdk_logger(f"{url}/v1/logs", "BillingSystem") as logger:
            for message in sent:
                logger.info(message)
        metrics = httpx.get(f"{url}/metrics").text
    assert len(downstream.records) == len(sent)
    assert Counter(r.body for r in downstream.records) == Counter(sent)
    assert all(r.resource["service.name"] == "BillingSystem" for r in downstream.records)
    assert all({"sift.label", "sift.confidence", "sift.tier", "sift.model_version"}
               <= set(r.attributes) for r in downstream.records)
    assert _metric(metrics, "sift_otlp_records_received_total") == len(sent)
    assert _metric(metrics, "sift_otlp_forwarded_records_total") == len(sent)
    labelled = sum(float(v) for v in re.findall(
        r'^sift_log_labels_total\{[^}]*source="BillingSystem"[^}]*\} ([0-9.e+]+)$', metrics,
        re.M))
    assert labelled == len(sent)


def test_downstream_down_for_a_while_loses_nothing(tmp_path: Path) -> None:
    downstream = OTLPReceiverDouble()  # not started yet: connection refused
    env = {"OTLP_FORWARD_ENDPOINT": downstream.url, "OTLP_FORWARD_TIMEOUT_S": "1",
           "OTLP_FORWARD_MAX_RETRIES": "2", "RATE_LIMIT": "off"}
    with api_server(tmp_path, env=env) as url:
        sent = _messages(600)
        revive = threading.Timer(3.0, downstream.start)
        revive.start()
        try:
            with _sdk_logger(f"{url}/v1/logs", "ModernCRM", batch=200) as logger:
                for message in sent:
                    logger.info(message)
        finally:
            revive.join()
        metrics = httpx.get(f"{url}/metrics").text
        ready = httpx.get(f"{url}/ready").json()
    downstream.stop()
    assert Counter(r.body for r in downstream.records) == Counter(sent)
    assert _metric(metrics, "sift_otlp_forward_retries_total") > 0
    assert _metric(metrics, "sift_otlp_forward_failures_total") > 0
    assert _metric(metrics, "sift_otlp_forwarded_records_total") == len(sent)
    assert ready["otlp_forward"]["healthy"] is True


def test_saturated_sift_answers_429_and_the_exporter_retries(tmp_path: Path) -> None:
    with OTLPReceiverDouble() as downstream, api_server(
            tmp_path, env={"OTLP_FORWARD_ENDPOINT": downstream.url,
                           "RATE_LIMIT": "3/second"}) as url:
        sent = _messages(1500)
        with _sdk_logger(f"{url}/v1/logs", "ThirdPartyAPI", batch=50) as logger:
            for message in sent:
                logger.info(message)
        metrics = httpx.get(f"{url}/metrics").text
    assert Counter(r.body for r in downstream.records) == Counter(sent)
    assert _metric(metrics, "sift_rate_limited_total") > 0
