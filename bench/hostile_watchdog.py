"""Watchdog for hostile requests (issue 24): ten at once, while /ready is polled.

Sends, all at the same time, the bodies of the review's defects 1, 4 and 5 to a real
uvicorn server: catastrophic-backtracking log formats and record_start patterns (as a
form field, a query parameter and a record start), 7 KB gzips of 4.2 M lines, XES
files holding a 16 MB comment, and an XES trace of 300,000 events that runs past
REQUEST_TIMEOUT_S. Meanwhile it polls /ready and records each latency. When every
hostile request has its answer it measures the server's CPU over two seconds (threads
left busy would show there) and how long until a one-second window finds it idle (a
cancelled request stops at its next check, but a torch call in flight finishes first),
and, separately, how much the server's RSS grows while it refuses the two compressible
bombs. The baseline is /ready polled with no
other load, on the same server, in the same run.

Prints one JSON line. `tests/reliability/test_watchdog.py` runs the same functions
against a server of its own and asserts the figures.

    python bench/hostile_watchdog.py
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.server import api_process  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
EVIL = "a" * 40  # `(a+)+!` on 40 characters: about a day on a backtracking engine
EVIL_FORMAT = "<A:(a+)+!><Content>"
# what the watchdog server runs with: the 300k-event XES times out and must stop
SERVER_ENV = {"REQUEST_TIMEOUT_S": "15", "RATE_LIMIT": "off", "TOKENIZERS_PARALLELISM": "false"}


def log_bomb() -> bytes:
    """Defect 4: ~7 KB of gzip, 4.2 M lines of `a`."""
    return gzip.compress(b"a\n" * 4_200_000, compresslevel=9)


def xes_comment_bomb() -> bytes:
    """Defect 5: ~16 KB of gzip, one 16 MB XML comment."""
    return gzip.compress(b'<?xml version="1.0"?><log><!--' + b"a" * (16 << 20) + b"-->"
                         b'<trace><event><string key="a" value="b"/></event></trace></log>',
                         compresslevel=9)


def xes_long_trace(events: int = 300_000) -> bytes:
    """Defect 5: one trace of `events` events (legal, but minutes of tagging)."""
    event = ('<event><string key="session_id" value="s1"/><string key="event_name" '
             'value="click"/><date key="timestamp" value="2024-01-01T00:00:00"/></event>')
    return gzip.compress(f"<log><trace>{event * events}</trace></log>".encode(),
                         compresslevel=6)


@dataclass(frozen=True)
class Hostile:
    """One hostile request: what it is, and how to send it on a client."""

    name: str
    send: Callable[[httpx.Client], httpx.Response]


def hostile_requests() -> list[Hostile]:
    """The ten requests the watchdog sends at once."""
    text = {"Content-Type": "text/plain"}
    bomb, comment, trace = log_bomb(), xes_comment_bomb(), xes_long_trace()

    def form_format(c: httpx.Client) -> httpx.Response:
        return c.post("/v1/logs/classify/csv", data={"log_format": EVIL_FORMAT},
                      files={"file": ("r.log", f"{EVIL}\n".encode(), "text/plain")})

    def query_format(c: httpx.Client) -> httpx.Response:
        return c.post("/v1/logs/classify", params={"log_format": EVIL_FORMAT},
                      content=f"{EVIL}\n", headers=text)

    def record_start(c: httpx.Client) -> httpx.Response:
        return c.post("/v1/logs/classify", params={"record_start": "^(a|a)+$"},
                      content=f"{EVIL}\n{EVIL}\n", headers=text)

    def gzip_lines(c: httpx.Client) -> httpx.Response:
        return c.post("/v1/logs/classify/csv",
                      files={"file": ("a.log.gz", bomb, "application/gzip")})

    def xes(body: bytes) -> Callable[[httpx.Client], httpx.Response]:
        return lambda c: c.post("/v1/sessions/predict/csv",
                                files={"file": ("e.xes.gz", body, "application/gzip")})

    return [Hostile("log_format form field", form_format),
            Hostile("log_format form field", form_format),
            Hostile("?log_format= on text/plain", query_format),
            Hostile("record_start", record_start),
            Hostile("7 KB gzip of 4.2 M lines", gzip_lines),
            Hostile("7 KB gzip of 4.2 M lines", gzip_lines),
            Hostile("7 KB gzip of 4.2 M lines", gzip_lines),
            Hostile("XES with a 16 MB comment", xes(comment)),
            Hostile("XES with a 16 MB comment", xes(comment)),
            Hostile("XES trace of 300k events", xes(trace))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of every thread of `pid` (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_bytes(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE


def seconds_until_idle(pid: int, max_s: float = 60.0, window_s: float = 1.0,
                       idle_cores: float = 0.05) -> float:
    """Seconds until a `window_s` window in which `pid` uses under `idle_cores` cores (a
    cancelled request stops at its next check; one torch call in flight still finishes),
    or `max_s` if it never gets there."""
    started = time.monotonic()
    while time.monotonic() - started < max_s:
        cpu = cpu_seconds(pid)
        time.sleep(window_s)
        if (cpu_seconds(pid) - cpu) / window_s < idle_cores:
            return round(time.monotonic() - started - window_s, 1)
    return max_s


def poll_ready(url: str, until: Callable[[], bool], max_s: float, every_s: float = 0.05
               ) -> list[float]:
    """/ready latencies (seconds) until `until()` or `max_s`, one probe every `every_s`."""
    latencies: list[float] = []
    deadline = time.monotonic() + max_s
    with httpx.Client(base_url=url, timeout=30.0) as client:
        while not until() and time.monotonic() < deadline:
            started = time.perf_counter()
            client.get("/ready").raise_for_status()
            latencies.append(time.perf_counter() - started)
            time.sleep(max(0.0, every_s - latencies[-1]))
    return latencies


def _ms(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)) * 1000, 1) if values else float("nan")


def watchdog(url: str, pid: int, max_s: float = 120.0, settle_s: float = 3.0,
             measure_s: float = 2.0) -> dict[str, Any]:
    """Fire the ten hostile requests at once while /ready is polled; then the CPU the server
    burns once they have all been answered (a thread left busy shows as ~1 core)."""
    baseline = poll_ready(url, lambda: False, max_s=2.0)
    requests = hostile_requests()
    statuses: list[int | str] = [""] * len(requests)
    seconds = [0.0] * len(requests)

    def fire(i: int) -> None:
        started = time.perf_counter()
        try:
            with httpx.Client(base_url=url, timeout=max_s) as client:
                statuses[i] = requests[i].send(client).status_code
        except httpx.HTTPError as exc:
            statuses[i] = type(exc).__name__
        seconds[i] = time.perf_counter() - started

    threads = [threading.Thread(target=fire, args=(i,), daemon=True)
               for i in range(len(requests))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    latencies = poll_ready(url, lambda: not any(t.is_alive() for t in threads), max_s)
    for thread in threads:
        thread.join(timeout=max_s)
    elapsed = time.perf_counter() - started
    time.sleep(settle_s)
    cpu = cpu_seconds(pid)
    time.sleep(measure_s)
    busy = (cpu_seconds(pid) - cpu) / measure_s
    idle_after = seconds_until_idle(pid)
    return {"ready_probes": len(latencies), "ready_p50_ms": _ms(latencies, 50),
            "ready_p99_ms": _ms(latencies, 99), "ready_max_ms": _ms(latencies, 100),
            "baseline_ready_p50_ms": _ms(baseline, 50),
            "baseline_ready_p99_ms": _ms(baseline, 99),
            "hostile_s": round(elapsed, 2),
            "statuses": {f"{r.name} #{i}": s
                         for i, (r, s) in enumerate(zip(requests, statuses, strict=True))},
            "slowest_hostile_s": round(max(seconds), 2),
            "busy_cores_after": round(busy, 3), "idle_after_s": idle_after}


def _sample_rss(pid: int, peak: list[int], done: threading.Event) -> None:
    while not done.is_set():
        peak[0] = max(peak[0], rss_bytes(pid))
        time.sleep(0.01)


def rss_growth(url: str, pid: int) -> dict[str, Any]:
    """How far the server's RSS rises above its level before each compressible bomb, sampled
    every 10 ms while it is refused (one at a time)."""
    out: dict[str, Any] = {}
    bodies = {"log_gzip": ("/v1/logs/classify/csv", "a.log.gz", log_bomb()),
              "xes_comment": ("/v1/sessions/predict/csv", "c.xes.gz", xes_comment_bomb())}
    with httpx.Client(base_url=url, timeout=120.0) as client:
        for name, (path, filename, body) in bodies.items():
            before = rss_bytes(pid)
            peak = [before]
            done = threading.Event()
            sampler = threading.Thread(target=_sample_rss, args=(pid, peak, done), daemon=True)
            sampler.start()
            started = time.perf_counter()
            response = client.post(path, files={"file": (filename, body, "application/gzip")})
            seconds = time.perf_counter() - started
            done.set()
            sampler.join()
            out[name] = {"bytes_sent": len(body), "status": response.status_code,
                         "detail": response.json().get("detail", "")[:120],
                         "seconds": round(seconds, 2),
                         "rss_growth_mb": round((peak[0] - before) / 2**20, 1)}
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**SERVER_ENV, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'feedback.db'}"}
        with api_process(env) as (url, proc):
            rss = rss_growth(url, proc.pid)
            figures = watchdog(url, proc.pid)
    print(json.dumps({"bench": "hostile_watchdog", **figures, "rss": rss}))


if __name__ == "__main__":
    main()
