"""What the pattern counter costs on the warm path: logs_throughput's Loghub warm figure with
the counter on and off, measured side by side.

Two real uvicorn servers (same models, each its own fresh SQLite store), one with
PATTERNS_ENABLED=true and one with false; the 10,000 Loghub lines of
bench/logs_throughput.py are sent to each once cold, then `--runs` warm rounds
interleaved (on/off, then off/on), every request with `live=true` so the upload counts
as live traffic (drift is on in both, as by default). Prints one JSON line: the median
warm lines/s of each, every run, and the counter's overhead in percent of the off figure;
beside them the CPU seconds each server process used over all its warm runs (read from
/proc, background threads and pattern writes included: measured from after the cold
pass's counts were written to after the last ones), which a busy shared machine
disturbs far less than wall time. `cpu_s_*` counts clock ticks (10 ms each, so +-2.5% of a
window's 0.4 s per reading); `thread_cpu_s_*` sums each thread's nanosecond run time
(/proc/<pid>/task/*/schedstat), exact while no thread of the server exits in the window
(`threads_exited_*` says how many did; then only the tick figure holds).
Usage: python bench/patterns_overhead.py [--runs 5] [--lines 10000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.logs_throughput import loghub_frame  # noqa: E402
from bench.server import api_process  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu_ns(pid: int) -> dict[str, int]:
    """Each live thread's run time so far, in nanoseconds (Linux schedstat)."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out[task.name] = int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue  # the thread ended while we read
    return out


def warm_rate(client: httpx.Client, url: str, data: bytes, lines: int) -> float:
    start = time.perf_counter()
    response = client.post(f"{url}/v1/logs/classify/csv", params={"live": "true"},
                           files={"file": ("logs.csv", io.BytesIO(data), "text/csv")})
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    return lines / elapsed


def main() -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lines", type=int, default=10_000)
    args = parser.parse_args()
    frame = loghub_frame().head(args.lines)
    data = frame.to_csv(index=False).encode()
    rates: dict[str, list[float]] = {"on": [], "off": []}
    base = {"RATE_LIMIT": "off", "REQUEST_TIMEOUT_S": "1800", "LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryDirectory(prefix="sift-patterns-bench-") as tmp, \
            httpx.Client(timeout=1800) as client:
        envs = {state: {**base, "PATTERNS_ENABLED": str(state == "on").lower(),
                        "DATABASE_URL": f"sqlite:///{Path(tmp) / f'{state}.db'}"}
                for state in rates}
        with api_process(envs["on"]) as (on_url, on_proc), \
                api_process(envs["off"]) as (off_url, off_proc):
            urls = {"on": on_url, "off": off_url}
            pids = {"on": on_proc.pid, "off": off_proc.pid}
            for state in rates:  # cold pass: caches filled, baselines learnt
                warm_rate(client, urls[state], data, len(frame))
            time.sleep(6.0)  # past one PATTERNS_FLUSH_S: the cold pass's counts are written
            start = {state: cpu_seconds(pid) for state, pid in pids.items()}
            threads = {state: thread_cpu_ns(pid) for state, pid in pids.items()}
            for run in range(args.runs):
                order = ("on", "off") if run % 2 == 0 else ("off", "on")
                for state in order:
                    rates[state].append(round(warm_rate(client, urls[state], data,
                                                        len(frame)), 1))
            time.sleep(6.0)  # the last counts written (a flush runs every PATTERNS_FLUSH_S)
            cpu = {state: cpu_seconds(pid) - start[state] for state, pid in pids.items()}
            ends = {state: thread_cpu_ns(pid) for state, pid in pids.items()}
            exact = {state: sum(ns - threads[state].get(tid, 0)
                                for tid, ns in ends[state].items()) / 1e9 for state in pids}
            exited = {state: len(set(threads[state]) - set(ends[state])) for state in pids}
            patterns = client.get(f"{on_url}/v1/logs/patterns", params={"limit": 1}).json()
    on, off = statistics.median(rates["on"]), statistics.median(rates["off"])
    return {"lines": len(frame), "runs": args.runs,
            "warm_on_median_lines_per_s": on, "warm_off_median_lines_per_s": off,
            "overhead_percent": round((off - on) / off * 100, 2),
            "cpu_s_on": round(cpu["on"], 2), "cpu_s_off": round(cpu["off"], 2),
            "cpu_overhead_percent": round((cpu["on"] - cpu["off"]) / cpu["off"] * 100, 2),
            "thread_cpu_s_on": round(exact["on"], 4), "thread_cpu_s_off": round(exact["off"], 4),
            "thread_cpu_overhead_percent": round(
                (exact["on"] - exact["off"]) / exact["off"] * 100, 2),
            "threads_exited_on": exited["on"], "threads_exited_off": exited["off"],
            "warm_on_runs": rates["on"], "warm_off_runs": rates["off"],
            "patterns_counted": patterns.get("total"), "cpu_count": os.cpu_count() or 0,
            "load_average_1m": round(os.getloadavg()[0], 2)}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main()) + "\n")
