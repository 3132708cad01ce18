"""New template keys through the real API, this checkout beside a baseline, interleaved.

The two figures of issue 12 that new keys decide, with `bench/logs_throughput.py`'s own
steps: 10,000 all-distinct lines in one CSV request (lines/s) and 300 never-seen lines
sent one by one (p50 / p95 ms). Each run starts a fresh server per variant, in turn (this
checkout, then `--baseline`'s, then this checkout with `--set`), every variant is sent
the same lines, and the machine's drift falls on every variant alike. Prints one JSON
line: per variant, every run and the median.

    git worktree add /tmp/before 3dcc6e7
    python bench/never_seen.py --baseline /tmp/before --set BLAS_THREADS=0 --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.logs_throughput import latencies, post_csv, unique_frame  # noqa: E402
from bench.paired_latency import server  # noqa: E402
from bench.server import ROOT  # noqa: E402

FIGURES = ("unique_lines_per_s", "new_p50_ms", "new_p95_ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another checkout (a git worktree)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="settings of an extra variant of this checkout (repeatable)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    variants: dict[str, tuple[Path, dict[str, str]]] = {"this": (ROOT, {})}
    if args.baseline is not None:
        variants["baseline"] = (args.baseline.resolve(), {})
    if args.set:
        variants[" ".join(args.set)] = (ROOT, dict(s.split("=", 1) for s in args.set))
    unique, fresh = unique_frame(10_000), unique_frame(400, seed=99).head(300)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    with httpx.Client(timeout=1800) as client:
        for _ in range(args.runs):
            for name, (tree, settings) in variants.items():
                with server(tree, settings={"REQUEST_TIMEOUT_S": "1800", **settings}) as (url, _):
                    rate = post_csv(client, url, unique)
                    p50, p95 = latencies(client, url, fresh)
                runs[name].append({"unique_lines_per_s": round(rate, 1), "new_p50_ms": p50,
                                   "new_p95_ms": p95, "load": round(os.getloadavg()[0], 2)})
    result = {name: {"runs": found, **{f"median_{f}": statistics.median(r[f] for r in found)
                                       for f in FIGURES}}
              for name, found in runs.items()}
    print(json.dumps({"runs": args.runs, "cpu_count": os.cpu_count(), **result}))


if __name__ == "__main__":
    main()
