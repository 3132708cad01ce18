"""Soak test: steady load on a fresh server for minutes, sampling its resident memory.

Prints one JSON line: the load figures plus RSS samples over time, the RSS after
warm-up, at the end, its peak, and the growth after warm-up (a leak shows as
steady growth; bounded caches show as a plateau).

    python bench/soak.py --duration 600 --clients 20
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

import typer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.load_test import run_load  # noqa: E402
from bench.server import api_process  # noqa: E402


def rss_mb(pid: int) -> float:
    """Resident set size of `pid` in MiB, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def soak(url: str, pid: int, duration_s: float, clients: int, interval_s: float,
               warmup_s: float, distinct: int) -> dict[str, object]:
    samples: list[tuple[float, float]] = []
    started = time.monotonic()
    load = asyncio.create_task(run_load(url, clients, duration_s, rows=5, distinct=distinct))
    while not load.done():
        samples.append((round(time.monotonic() - started, 1), round(rss_mb(pid), 1)))
        await asyncio.wait({load}, timeout=interval_s)
    samples.append((round(time.monotonic() - started, 1), round(rss_mb(pid), 1)))
    figures = load.result()
    after_warmup = next((rss for t, rss in samples if t >= warmup_s), samples[-1][1])
    return {**figures, "rss_mb_start": samples[0][1], "rss_mb_after_warmup": after_warmup,
            "rss_mb_end": samples[-1][1], "rss_mb_peak": max(rss for _, rss in samples),
            "rss_growth_after_warmup_mb": round(samples[-1][1] - after_warmup, 1),
            "rss_samples": samples}


def run_soak(duration_s: float, clients: int, interval_s: float, warmup_s: float,
             distinct: int = 99_999) -> dict[str, object]:
    """Start a server (rate limit off), soak it and return the figures."""
    env = {"RATE_LIMIT": "off", "LOG_LEVEL": "WARNING"}
    with api_process(env) as (url, proc):
        return asyncio.run(soak(url, proc.pid, duration_s, clients, interval_s, warmup_s,
                                distinct))


def main(duration: float = typer.Option(600.0, min=5, max=3600, help="seconds"),
         clients: int = typer.Option(20, min=1, max=500),
         interval: float = typer.Option(15.0, min=0.5, help="seconds between RSS samples"),
         warmup: float = typer.Option(60.0, min=0, help="seconds before the growth baseline"),
         distinct: int = typer.Option(99_999, min=1, help="numbers per template: distinct "
                                                           "raw lines (bounded caches fill)")
         ) -> None:
    """Run the soak and print one JSON line of figures."""
    print(json.dumps(run_soak(duration, clients, interval, warmup, distinct)))


if __name__ == "__main__":
    typer.run(main)
