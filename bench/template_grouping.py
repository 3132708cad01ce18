"""Loghub grouping accuracy of sift's template key, with Drain3's on the same lines beside it.

For each of the 14 Loghub 2k samples in ../shared/data/loghub, every line's
`Content` is keyed by `backend.core.normalize.template_key`; a line is right when
the group of lines sharing its key is exactly the set of lines sharing its
ground-truth `EventId` (Zhu et al., "Tools and Benchmarks for Automated Log
Parsing", ICSE-SEIP 2019). Drain3 (default `TemplateMiner()`, no masking config)
groups the same lines by cluster id. The masks were designed on DESIGN_SYSTEMS
only; the other seven are reported as held out. Prints one JSON line; `--table`
also prints the markdown table kept in docs/patterns.md. drain3 comes from the
`bench` dependency group (`pip install -e .[bench]`), never the runtime lock.
Usage: python bench/template_grouping.py [--data DIR] [--table] [--no-drain]
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.core.normalize import KEY_VERSION, template_key  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "loghub"
# named before any mask was changed: the 1st, 3rd, 5th, ... system by the v1 key's accuracy
# (ties by name), so both halves hold hard and easy systems; the masks saw only these
DESIGN_SYSTEMS = ("Proxifier", "Thunderbird", "Linux", "Mac", "Hadoop", "Apache", "HealthApp")
HELD_OUT_SYSTEMS = ("OpenStack", "Windows", "Android", "Spark", "Zookeeper", "HDFS", "OpenSSH")
SYSTEMS = tuple(sorted(DESIGN_SYSTEMS + HELD_OUT_SYSTEMS))


def grouping_accuracy(truth: Sequence[Hashable], groups: Sequence[Hashable]) -> float:
    """Share of lines whose predicted group is exactly their ground-truth group."""
    truth_size = Counter(truth)
    members: dict[Hashable, Counter[Hashable]] = defaultdict(Counter)
    for t, g in zip(truth, groups, strict=True):
        members[g][t] += 1
    right = 0
    for counts in members.values():
        if len(counts) == 1:
            (event, n), = counts.items()
            if truth_size[event] == n:
                right += n
    return right / len(truth)


def read_sample(folder: Path, system: str) -> tuple[list[str], list[str]]:
    with (folder / f"{system}_2k.log_structured.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["Content"] for r in rows], [r["EventId"] for r in rows]


def drain_groups(lines: Sequence[str]) -> list[int]:
    from drain3 import TemplateMiner  # bench-only dependency

    logging.getLogger("drain3").setLevel(logging.ERROR)  # "config file not found"
    miner = TemplateMiner()
    return [miner.add_log_message(line)["cluster_id"] for line in lines]


def _mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 3)


def measure(folder: Path, with_drain: bool) -> dict[str, object]:
    sift: dict[str, float] = {}
    drain: dict[str, float] = {}
    for system in SYSTEMS:
        lines, truth = read_sample(folder, system)
        sift[system] = round(grouping_accuracy(truth, [template_key(x) for x in lines]), 3)
        if with_drain:
            drain[system] = round(grouping_accuracy(truth, drain_groups(lines)), 3)
    out: dict[str, object] = {
        "key_version": KEY_VERSION, "sift": sift,
        "sift_mean": _mean(list(sift.values())),
        "sift_mean_design": _mean([sift[s] for s in DESIGN_SYSTEMS]),
        "sift_mean_held_out": _mean([sift[s] for s in HELD_OUT_SYSTEMS]),
        "design_systems": list(DESIGN_SYSTEMS), "held_out_systems": list(HELD_OUT_SYSTEMS),
    }
    if with_drain:
        out.update({
            "drain3": drain, "drain3_mean": _mean(list(drain.values())),
            "drain3_mean_held_out": _mean([drain[s] for s in HELD_OUT_SYSTEMS]),
            "worst_gap_to_drain3": round(min(sift[s] - drain[s] for s in SYSTEMS), 3),
        })
    return out


def table(out: dict[str, object]) -> str:
    sift = out["sift"]
    drain = out.get("drain3", {})
    assert isinstance(sift, dict) and isinstance(drain, dict)
    rows = ["| system | set | sift | Drain3 | sift - Drain3 |", "|---|---|---|---|---|"]
    for system in (*DESIGN_SYSTEMS, *HELD_OUT_SYSTEMS):
        d = drain.get(system)
        gap = f"{sift[system] - d:+.3f}" if d is not None else ""
        part = "design" if system in DESIGN_SYSTEMS else "held out"
        rows.append(f"| {system} | {part} | {sift[system]:.3f} | "
                    f"{'' if d is None else f'{d:.3f}'} | {gap} |")
    for name, systems in (("mean, design 7", DESIGN_SYSTEMS),
                          ("mean, held-out 7", HELD_OUT_SYSTEMS), ("mean, all 14", SYSTEMS)):
        s = _mean([sift[x] for x in systems])
        d_ = _mean([drain[x] for x in systems]) if drain else None
        rows.append(f"| **{name}** | | **{s:.3f}** | {'' if d_ is None else f'{d_:.3f}'} | "
                    f"{'' if d_ is None else f'{s - d_:+.3f}'} |")
    return "\n".join(rows)


def main() -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--table", action="store_true", help="also print the markdown table")
    parser.add_argument("--no-drain", action="store_true", help="skip Drain3 (faster)")
    args = parser.parse_args()
    out = measure(args.data, with_drain=not args.no_drain)
    if args.table:
        sys.stderr.write(table(out) + "\n")
    return out


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main()) + "\n")
