"""Raw log vs CSV through `classify-file`: the same 1,000,000 records, two input shapes.

The records are HDFS lines as Loghub's HDFS sample has them (header fields and
message templates drawn from `HDFS_2k.log_structured.csv` with its frequencies;
every `<*>` and the Pid/Time filled with random numbers). One file is the raw
log (`081109 203615 148 INFO dfs.DataNode: ...`, read with `--log-format hdfs`),
the other a CSV of the same content (`source, Date, Time, Pid, Level, Component,
log_message`). Each runs as `python -m training classify-file` in a child process
(local engine, one process); wall time and the child's CPU time (user + system,
from `os.wait4`, the load-independent figure) are reported for both, and the
ratio raw/CSV. Prints one JSON line. Usage:
    python bench/rawlog_throughput.py [--lines N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HDFS = ROOT.parent / "shared" / "data" / "loghub" / "HDFS_2k.log_structured.csv"
_SLOT = re.compile(r"<\*>")


def write_inputs(folder: Path, lines: int, seed: int = 0) -> tuple[Path, Path]:
    """(raw .log, .csv) with the same records."""
    with open(HDFS, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rng = random.Random(seed)
    raw, table = folder / "hdfs.log", folder / "hdfs.csv"
    with open(raw, "w", encoding="utf-8") as log, open(table, "w", encoding="utf-8",
                                                        newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["source", "Date", "Time", "Pid", "Level", "Component", "log_message"])
        for _ in range(lines):
            row = rows[rng.randrange(len(rows))]
            message = _SLOT.sub(lambda _: str(rng.randint(0, 99_999)), row["EventTemplate"])
            when = f"{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}"
            pid = str(rng.randint(1, 9_999))
            log.write(f"{row['Date']} {when} {pid} {row['Level']} {row['Component']}: "
                      f"{message}\n")
            writer.writerow(["HDFS", row["Date"], when, pid, row["Level"], row["Component"],
                             message])
    return raw, table


def run(source: Path, output: Path, *options: str) -> dict[str, Any]:
    """One classify-file child: wall s, CPU s and its summary line."""
    command = [sys.executable, "-m", "training", "classify-file", str(source), "--output",
               str(output), "--no-progress", *options]
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    stdout = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"classify-file failed ({status}): {stdout[-2000:]}")
    summary = json.loads(stdout.split("summary: ", 1)[1].splitlines()[0])
    return {"wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "lines_per_s": round(summary["written"] / wall, 1),
            "job_lines_per_s": summary["lines_per_s"], "rows": summary["written"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sift-rawlog-bench-") as folder:
        base = Path(folder)
        raw, table = write_inputs(base, args.lines)
        as_csv = run(table, base / "out-csv.csv", "--source-column", "source",
                     "--message-column", "log_message")
        as_log = run(raw, base / "out-log.csv", "--log-format", "hdfs", "--source", "HDFS")
    if as_csv["rows"] != args.lines or as_log["rows"] != args.lines:
        raise RuntimeError(f"row counts differ: csv {as_csv['rows']}, log {as_log['rows']}")
    print(json.dumps({  # noqa: T201 - the bench's one JSON line
        "bench": "rawlog_throughput", "lines": args.lines, "csv": as_csv, "log": as_log,
        "log_vs_csv_wall": round(as_log["wall_s"] / as_csv["wall_s"], 3),
        "log_vs_csv_cpu": round(as_log["cpu_s"] / as_csv["cpu_s"], 3),
        "load_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}))


if __name__ == "__main__":
    main()
