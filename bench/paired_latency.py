"""Single-line latency of this tree against a baseline checkout, call by call.

`bench/logs_throughput.py` times 300 single-line calls on one server and then another;
on this shared 2-core machine the same tree moves by 1-2 ms between such runs, far more
than a 5% difference of a ~2 ms call. Here both servers run at once and every line is
sent to both, in alternating order, so drift of the machine falls on both alike. Each
server's CPU per call is read from /proc, which noise disturbs less than wall time.

    git worktree add /tmp/baseline 5b32512
    python bench/paired_latency.py --baseline /tmp/baseline --calls 2000

Prints one JSON line: p50 / p95 / mean ms and server CPU ms per call for `current` (this
tree) and `baseline`, and their ratios. Both serve the same registry version
(`--model-version`, v4 by default: the newest one both trees can load).
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import httpx
import typer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.hostile_watchdog import cpu_seconds  # noqa: E402
from bench.logs_throughput import loghub_frame  # noqa: E402
from bench.server import QUIET, ROOT, api_command, free_port, running  # noqa: E402


@contextlib.contextmanager
def server(tree: Path, model_version: str | None = None,
           settings: dict[str, str] | None = None) -> Iterator[tuple[str, int]]:
    """uvicorn serving `tree`'s API (its code, its models/; `model_version`, or the newest,
    and any other `settings`), yielding (url, pid)."""
    port = free_port()
    env = {"PYTHONPATH": str(tree), "RATE_LIMIT": "off", "LOG_LEVEL": "WARNING",
           "REQUEST_TIMEOUT_S": "600", **(settings or {})}
    if model_version is not None:
        env["LOG_MODEL_VERSION"] = model_version
    url = f"http://127.0.0.1:{port}"
    with running(api_command(port, *QUIET), f"{url}/ready", env=env, cwd=tree) as proc:
        yield url, proc.pid


def figures(times: list[float], cpu_s: float) -> dict[str, float]:
    q = statistics.quantiles(times, n=100)
    return {"p50_ms": round(q[49], 3), "p95_ms": round(q[94], 3),
            "mean_ms": round(statistics.mean(times), 3),
            "server_cpu_ms_per_call": round(cpu_s * 1000 / len(times), 3)}


def main(baseline: Annotated[Path, typer.Option(
             help="A checkout of the baseline commit (git worktree add), with its models/.")],
         calls: Annotated[int, typer.Option(help="Lines sent to each server (Loghub mix).")
                          ] = 2000,
         model_version: Annotated[str, typer.Option(help="Registry version both serve.")
                                  ] = "v4") -> None:
    rows = list(loghub_frame().head(calls).itertuples(index=False))
    trees = {"current": ROOT, "baseline": baseline.resolve()}
    with contextlib.ExitStack() as stack, httpx.Client(timeout=120) as client:
        servers = {name: stack.enter_context(server(tree, model_version))
                   for name, tree in trees.items()}

        def call(url: str, row: tuple[str, str]) -> float:
            body = {"logs": [{"source": row[0], "log_message": row[1]}]}
            start = time.perf_counter()
            client.post(f"{url}/v1/logs/classify", json=body).raise_for_status()
            return (time.perf_counter() - start) * 1000

        for url, _ in servers.values():  # every template known and cached on both
            for row in rows:
                call(url, row)
        times: dict[str, list[float]] = {name: [] for name in servers}
        cpu0 = {name: cpu_seconds(pid) for name, (_, pid) in servers.items()}
        order = list(servers)
        for i, row in enumerate(rows):
            for name in order if i % 2 == 0 else order[::-1]:
                times[name].append(call(servers[name][0], row))
        cpu = {name: cpu_seconds(pid) - cpu0[name] for name, (_, pid) in servers.items()}
    out: dict[str, object] = {"calls": len(rows), "model_version": model_version}
    for name in servers:
        out[name] = figures(times[name], cpu[name])
    current, base = out["current"], out["baseline"]
    assert isinstance(current, dict) and isinstance(base, dict)
    out["p50_ratio"] = round(current["p50_ms"] / base["p50_ms"], 3)
    out["cpu_ratio"] = round(current["server_cpu_ms_per_call"]
                             / base["server_cpu_ms_per_call"], 3)
    print(json.dumps(out))


if __name__ == "__main__":
    typer.run(main)
