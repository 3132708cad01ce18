"""Bulk classification throughput: 1,000,000 Loghub-like lines, local engine and Ray; then
200,000 generated lines whose template keys are all distinct (the cascade's case).

Lines come from the Loghub templates in ../shared/data/loghub (`EventTemplate`,
drawn with the samples' frequencies) with every `<*>` filled by a random
number, so numbers vary on every line while template keys repeat. Each engine
runs as `python -m training classify-file` in a child process; its peak RSS
comes from `os.wait4` (getrusage of that child and the descendants it reaped)
and, as a cross-check, from sampling the RSS sum of the whole process tree
(/proc, every 0.5 s).

`lines_per_s` counts the whole job (model load and cold caches included);
`warm_lines_per_s` the rows after the first result arrived; `cpu_us_per_line`
(user + system CPU of the child and reaped descendants, start-up included) is
the load-independent figure on a shared machine. Prints one JSON
line. Usage:
    python bench/bulk_throughput.py [--lines N] [--workers 2] [--ray-address ADDR]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
LOGHUB = ROOT.parent / "shared" / "data" / "loghub"
SYSTEMS = ("HDFS", "Apache", "OpenSSH", "Linux", "Thunderbird")
_SLOT = re.compile(r"<\*>")


def loghub_like(path: Path, lines: int, seed: int = 0) -> Path:
    """A gzip CSV of `lines` rows (source, log_message) from the Loghub templates."""
    rng = random.Random(seed)
    templates: list[tuple[str, str]] = []
    for system in SYSTEMS:
        frame = pd.read_csv(LOGHUB / f"{system}_2k.log_structured.csv", dtype=str,
                            keep_default_na=False)
        templates += [(system, t) for t in frame["EventTemplate"]]
    with gzip.open(path, "wt", encoding="utf-8", newline="", compresslevel=1) as handle:
        handle.write("source,log_message\n")
        for _ in range(lines):
            system, template = templates[rng.randrange(len(templates))]
            message = _SLOT.sub(lambda _: str(rng.randint(0, 99_999)), template)
            handle.write(f'{system},"{message.replace(chr(34), chr(34) * 2)}"\n')
    return path


def distinct_lines(path: Path, lines: int, seed: int = 7) -> Path:
    """A gzip CSV of `lines` generated log lines, each with a distinct made-up word, so no
    two share a template key: every line is a new key for the model tier's cascade."""
    sys.path.insert(0, str(ROOT))
    from training.logs.generator import generate_logs

    rng = random.Random(seed)
    frame = generate_logs(n=lines, seed=seed)
    words: set[str] = set()
    while len(words) < lines:
        words.add("".join(rng.choice("abcdefghijklmnopqrstuvwxyz")
                          for _ in range(rng.randint(7, 10))))
    frame = pd.DataFrame({"source": frame["source"], "log_message": [
        f"{m} [{w}]" for m, w in zip(frame["log_message"], sorted(words), strict=True)]})
    frame.to_csv(path, index=False, compression={"method": "gzip", "compresslevel": 1})
    return path


def _tree_rss(pid: int) -> int:
    """Sum of the RSS of `pid` and all its descendants, from /proc (Linux)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier.extend(children)
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for member in tree:
        try:
            total += int(Path(f"/proc/{member}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total


def run_engine(source: Path, output: Path, *options: str) -> dict[str, Any]:
    """Run classify-file in a child; lines/s, wall time, peak RSS (wait4 and tree sum)."""
    cmd = [sys.executable, "-m", "training", "classify-file", str(source), "--output",
           str(output), "--no-progress", *options]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            peak[0] = max(peak[0], _tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or "summary: " not in stdout:
        raise RuntimeError(f"{' '.join(cmd)} exited with {code}: {stdout[-2000:]}")
    summary = json.loads(stdout.split("summary: ", 1)[1].splitlines()[0])
    return {"lines_per_s": summary["lines_per_s"],
            "warm_lines_per_s": summary.get("warm_lines_per_s"), "seconds": summary["seconds"],
            "wall_s_with_startup": round(wall, 1), "rows": summary["written"],
            "coverage": summary["coverage"],
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "cpu_us_per_line": round((usage.ru_utime + usage.ru_stime) / max(
                summary["written"], 1) * 1e6, 1),
            "peak_rss_mb_getrusage": round(usage.ru_maxrss / 1024, 1),
            "peak_rss_mb_tree_sum": round(peak[0] / 2**20, 1)}


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with gzip.open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2, help="local engine processes")
    parser.add_argument("--ray-address", default=None, help="join a cluster instead")
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--distinct", type=int, default=200_000,
                        help="lines of the all-distinct-keys file (0: skip it)")
    args = parser.parse_args()
    figures: dict[str, Any] = {"lines": args.lines, "cpu_count": os.cpu_count(),
                               "load_avg_1m_before": round(os.getloadavg()[0], 1)}
    with tempfile.TemporaryDirectory(prefix="sift-bulk-bench-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        source = loghub_like(folder / "loghub.csv.gz", args.lines)
        figures["generate_s"] = round(time.perf_counter() - start, 1)
        figures["local"] = run_engine(source, folder / "local.csv.gz",
                                      "--workers", str(args.workers))
        figures["local"]["workers"] = args.workers
        if not args.skip_ray:
            ray_options = ["--engine", "ray", "--ray-cpus", "2"]
            if args.ray_address:
                ray_options += ["--ray-address", args.ray_address]
            figures["ray"] = run_engine(source, folder / "ray.csv.gz", *ray_options)
            figures["ray"]["address"] = args.ray_address or "local (2 CPUs)"
            figures["identical"] = _digest(folder / "local.csv.gz") == _digest(
                folder / "ray.csv.gz")
        if args.distinct:
            figures["distinct"] = _distinct_run(folder, args)
    figures["load_avg_1m_after"] = round(os.getloadavg()[0], 1)
    local = figures["local"]
    figures["meets_target"] = (local["lines_per_s"] >= 20_000
                               and local["peak_rss_mb_tree_sum"] < 2048)
    return figures


def _distinct_run(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Every key new: the cascade's fast stage carries the load; both engines, same output."""
    start = time.perf_counter()
    source = distinct_lines(folder / "distinct.csv.gz", args.distinct)
    out: dict[str, Any] = {"lines": args.distinct,
                           "generate_s": round(time.perf_counter() - start, 1)}
    out["local"] = run_engine(source, folder / "distinct-local.csv.gz",
                              "--workers", str(args.workers))
    result = pd.read_csv(folder / "distinct-local.csv.gz", dtype=str, keep_default_na=False,
                         usecols=["tier", "stage"])
    modelled = result[result["stage"] != ""]
    out["stage2_share"] = round(float((modelled["stage"] == "full").mean()), 4) \
        if len(modelled) else 0.0
    out["by_tier"] = result["tier"].value_counts().to_dict()
    if not args.skip_ray:
        ray_options = ["--engine", "ray", "--ray-cpus", "2"]
        if args.ray_address:
            ray_options += ["--ray-address", args.ray_address]
        out["ray"] = run_engine(source, folder / "distinct-ray.csv.gz", *ray_options)
        out["identical"] = _digest(folder / "distinct-local.csv.gz") == _digest(
            folder / "distinct-ray.csv.gz")
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
