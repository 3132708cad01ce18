"""New template keys through the real API, this checkout beside a baseline, interleaved.

The two figures of issue 12 that new keys decide, from `bench/logs_throughput.py`'s own
functions: 10,000 all-distinct lines in one CSV request (lines/s) and 300 never-seen lines
sent one by one (p50 / p95 ms). Each run starts a fresh server per variant, in turn (this
checkout, then `--baseline`'s, then this checkout with `--set`), so the machine's drift
falls on every variant alike. Prints one JSON line: per variant, every run and the median.

    python bench/never_seen.py --baseline /tmp/before --set BLAS_THREADS=0 --runs 5
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ("unique_lines_per_s", "new_p50_ms", "new_p95_ms")


def one_run(root: Path) -> dict[str, float]:
    """One fresh server of the checkout at `root` (its own bench code and models)."""
    sys.path.insert(0, str(root))
    throughput = importlib.import_module("bench.logs_throughput")
    server = importlib.import_module("bench.server")
    import httpx

    unique = throughput.unique_frame(10_000)
    fresh = throughput.unique_frame(400, seed=99)
    env = {"RATE_LIMIT": "off", "REQUEST_TIMEOUT_S": "1800", "LOG_LEVEL": "WARNING"}
    with httpx.Client(timeout=1800) as client, server.api_server(env) as url:
        rate = throughput.post_csv(client, url, unique)
        p50, p95 = throughput.latencies(client, url, fresh.head(300))
    return {"unique_lines_per_s": round(rate, 1), "new_p50_ms": p50, "new_p95_ms": p95,
            "load": round(os.getloadavg()[0], 2)}


def run_variant(root: Path, env: dict[str, str]) -> dict[str, float]:
    """`one_run` in a child process, so that `root`'s code is the code imported."""
    out = subprocess.run([sys.executable, __file__, "--one", str(root)], cwd=root,
                         env={**os.environ, **env}, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another checkout (a git worktree)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="settings of an extra variant of this checkout (repeatable)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one_run(args.one.resolve())))
        return
    variants: dict[str, tuple[Path, dict[str, str]]] = {"this": (ROOT, {})}
    if args.baseline is not None:
        variants["baseline"] = (args.baseline.resolve(), {})
    if args.set:
        variants[" ".join(args.set)] = (ROOT, dict(s.split("=", 1) for s in args.set))
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    for _ in range(args.runs):
        for name, (root, env) in variants.items():
            runs[name].append(run_variant(root, env))
    result = {name: {"runs": found, **{f"median_{f}": statistics.median(r[f] for r in found)
                                       for f in FIGURES}}
              for name, found in runs.items()}
    print(json.dumps({"runs": args.runs, "cpu_count": os.cpu_count(), **result}))


if __name__ == "__main__":
    main()
