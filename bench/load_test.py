"""Bounded load test on loopback: N concurrent clients POST /v1/logs/classify for T seconds.

Prints one JSON line: requests, errors (non-2xx or transport failures, by kind),
requests/s and latency percentiles. Starts its own server (rate limit off) unless
`--url` names one; only 127.0.0.1 / localhost targets are accepted.

    python bench/load_test.py --clients 200 --duration 60
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx
import numpy as np
import typer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.server import api_server  # noqa: E402

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Realistic traffic: known templates with varying numbers (template keys mask them).
TEMPLATES = [
    ("ModernCRM", "User User{n} logged in."),
    ("ModernHR", "Account with ID {n} created by User{n}."),
    ("BillingSystem", "Multiple login failures occurred on user {n} account"),
    ("ComputeCloud", 'nova.osapi_compute.wsgi.server 10.11.10.{n} "GET /v2/servers/detail '
                     'HTTP/1.1" status: 200 len: 1893 time: 0.{n}'),
    ("AnalyticsEngine", "Job {n} failed: could not open input file /data/in_{n}.csv"),
    ("ThirdPartyAPI", "GET /api/v1/orders returned HTTP 503 in {n} ms"),
    ("ComputeCloud", "Claim successful: memory {n} MB, disk 20 GB, vcpus 2"),
    ("LegacyCRM", "Lead conversion failed for prospect ID {n} due to missing contact."),
]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


def payload(rng: random.Random, rows: int, distinct: int = 99_999) -> dict[str, object]:
    """`rows` lines; each template takes `distinct` different numbers (distinct raw lines)."""
    logs = []
    for _ in range(rows):
        source, template = rng.choice(TEMPLATES)
        logs.append({"source": source,
                     "log_message": template.format(n=rng.randint(1, distinct))})
    return {"logs": logs}


async def one_client(client: httpx.AsyncClient, url: str, stop_at: float, rows: int,
                     seed: int, tally: Tally, distinct: int) -> None:
    rng = random.Random(seed)
    while time.monotonic() < stop_at:
        started = time.perf_counter()
        try:
            body = payload(rng, rows, distinct)
            response = await client.post(f"{url}/v1/logs/classify", json=body)
            if response.status_code >= 300:
                tally.errors[f"HTTP {response.status_code}"] += 1
            elif len(response.json()["predictions"]) != rows:
                tally.errors["rows lost"] += 1
        except httpx.HTTPError as exc:
            tally.errors[type(exc).__name__] += 1
        tally.latencies.append(time.perf_counter() - started)


async def run_load(url: str, clients: int, duration_s: float, rows: int = 1,
                   distinct: int = 99_999) -> dict[str, object]:
    """Drive `clients` concurrent loops for `duration_s`; return the figures."""
    if urlparse(url).hostname not in LOOPBACK:
        raise ValueError(f"load tests only target loopback, not {url}")
    tally = Tally()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        started = time.monotonic()
        stop_at = started + duration_s
        await asyncio.gather(*(one_client(client, url, stop_at, rows, seed, tally, distinct)
                               for seed in range(clients)))
        elapsed = time.monotonic() - started
    lat = np.array(tally.latencies) * 1000 if tally.latencies else np.zeros(1)
    return {"clients": clients, "duration_s": round(elapsed, 1), "rows_per_request": rows,
            "distinct_numbers": distinct,
            "requests": len(tally.latencies), "errors": sum(tally.errors.values()),
            "error_kinds": dict(tally.errors), "rps": round(len(tally.latencies) / elapsed, 1),
            "p50_ms": round(float(np.percentile(lat, 50)), 1),
            "p95_ms": round(float(np.percentile(lat, 95)), 1),
            "p99_ms": round(float(np.percentile(lat, 99)), 1),
            "max_ms": round(float(lat.max()), 1)}


def main(clients: int = typer.Option(200, min=1, max=1000),
         duration: float = typer.Option(60.0, min=1, max=900, help="seconds"),
         rows: int = typer.Option(1, min=1, max=1000, help="log lines per request"),
         url: str | None = typer.Option(None, help="a running server (loopback only)")) -> None:
    """Run the load test and print one JSON line of figures."""
    if url:
        figures = asyncio.run(run_load(url, clients, duration, rows))
    else:
        with api_server({"RATE_LIMIT": "off", "LOG_LEVEL": "WARNING"}) as own:
            figures = asyncio.run(run_load(own, clients, duration, rows))
    print(json.dumps(figures))


if __name__ == "__main__":
    typer.run(main)
