"""Process views of a tagged event log: step map, variants, one case's timeline, step times.

The views work on **step instances**: consecutive events of a case tagged with the same
step are one instance (a step is many clicks; a process map of clicks would be a ball of
self-loops). Abstained events keep their `Unclassified` step and are an instance and a
node like any other, so nothing is dropped and the map shows where the tagger was unsure.

Computed with numpy/pandas rather than PM4Py: PM4Py (AGPL, with lxml, cvxopt and graphviz)
stays out of the serving install, its directly-follows graph counts every pair of events
(self-loops of one step included) where this one joins instances, and a vectorised pass
keeps 100,000 events well inside a request (bench/steps_views.py). The tests check these
figures against plain pandas and against PM4Py's DFG on the same instances.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from backend.core.errors import BadInputError
from backend.core.labels import UNCLASSIFIED
from backend.sessions.encoders import as_text
from backend.sessions.features import parse_timestamps

TOP_VARIANTS = 20
MAX_TIMELINE = 2_000  # step instances of one case listed in the answer


@dataclass(frozen=True)
class LogColumns:
    """Where the case id, time and step of each event are in a tagged table."""

    case: str
    timestamp: str
    step: str


@dataclass
class StepInstances:
    """One row per step instance, ordered by case then time; `first_row` is the input row
    of the instance's first event."""

    frame: pd.DataFrame  # case, step, start, end, events, first_row
    case_first: np.ndarray  # instance index where each case starts (+ the end)


def _check(frame: pd.DataFrame, cols: LogColumns) -> None:
    missing = [c for c in (cols.case, cols.timestamp, cols.step) if c not in frame.columns]
    if missing:
        raise BadInputError(
            f"Missing column(s): {', '.join(repr(c) for c in missing)}. Found: "
            f"{', '.join(repr(str(c)) for c in frame.columns) or 'none'}. Views need the case, "
            "timestamp and step columns of a tagged log.", missing_columns=missing)
    if frame.empty:
        raise BadInputError("No events: send at least one tagged event.")


def step_instances(frame: pd.DataFrame, cols: LogColumns) -> tuple[StepInstances, int]:
    """The step instances of a tagged table, and how many blank steps became Unclassified."""
    _check(frame, cols)
    cases = as_text(frame[cols.case]).to_numpy()
    if (cases == "").any():
        raise BadInputError(f"Column '{cols.case}' is empty in {int((cases == '').sum())} "
                            "row(s); every event needs a case id.")
    steps = as_text(frame[cols.step]).to_numpy()
    blank = steps == ""
    steps = np.where(blank, UNCLASSIFIED, steps)
    seconds = parse_timestamps(frame[cols.timestamp], cols.timestamp)
    case_codes, _ = pd.factorize(cases)  # cases in order of first appearance
    order = np.lexsort((seconds, case_codes))  # stable: ties keep input order
    c, s, t = case_codes[order], steps[order], seconds[order]
    new_case = np.r_[True, c[1:] != c[:-1]]
    first = np.flatnonzero(new_case | np.r_[True, s[1:] != s[:-1]])
    last = np.r_[first[1:] - 1, len(c) - 1]
    instances = pd.DataFrame({"case": cases[order][first], "step": s[first],
                              "start": t[first], "end": t[last],
                              "events": last - first + 1, "first_row": order[first]})
    starts = np.flatnonzero(np.r_[True, c[first][1:] != c[first][:-1]])
    return StepInstances(instances, np.r_[starts, len(first)]), int(blank.sum())


def _seconds(value: float) -> float:
    return round(float(value), 3)


def _iso(seconds: float) -> str:
    return pd.Timestamp(round(seconds * 1000), unit="ms", tz="UTC").isoformat()


def process_map(inst: StepInstances, cases: int) -> dict[str, Any]:
    """Directly-follows graph of step instances: nodes, edges with counts and median times,
    and how many cases start and end at each step."""
    f = inst.frame
    same = np.ones(len(f), bool)
    same[inst.case_first[:-1]] = False  # an instance that starts a case follows nothing
    follow = np.flatnonzero(same)
    edges = pd.DataFrame({"source": f["step"].to_numpy()[follow - 1],
                          "target": f["step"].to_numpy()[follow],
                          "wait": f["start"].to_numpy()[follow] - f["end"].to_numpy()[follow - 1]})
    grouped = edges.groupby(["source", "target"], sort=False)["wait"]
    table = pd.DataFrame({"count": grouped.size(), "median": grouped.median(),
                          "mean": grouped.mean()}).reset_index()
    table = table.sort_values(["count", "source", "target"], ascending=[False, True, True])
    by_step = f.groupby("step", sort=True)
    starts = f["step"].iloc[inst.case_first[:-1]].value_counts()
    ends = f["step"].iloc[inst.case_first[1:] - 1].value_counts()
    nodes = [{"step": str(step), "events": int(g["events"].sum()), "instances": len(g),
              "cases": int(g["case"].nunique()), "starts": int(starts.get(step, 0)),
              "ends": int(ends.get(step, 0)), "abstained": step == UNCLASSIFIED}
             for step, g in by_step]
    return {"cases": cases, "nodes": sorted(nodes, key=lambda n: -n["events"]),
            "edges": [{"source": str(r.source), "target": str(r.target), "count": int(r.count),
                       "median_seconds": _seconds(r.median), "mean_seconds": _seconds(r.mean)}
                      for r in table.itertuples(index=False)]}


def variants(inst: StepInstances, top: int = TOP_VARIANTS) -> dict[str, Any]:
    """Cases grouped by their sequence of step instances, most common first, with case
    durations (first to last event)."""
    f = inst.frame
    bounds = inst.case_first
    steps = f["step"].to_numpy()
    seqs = ["\x1f".join(steps[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    cases = pd.DataFrame({"case": f["case"].to_numpy()[bounds[:-1]], "variant": seqs,
                          "duration": f["end"].groupby(np.repeat(np.arange(len(seqs)),
                                                                 np.diff(bounds))).max()
                          .to_numpy() - f["start"].to_numpy()[bounds[:-1]]})
    grouped = cases.groupby("variant", sort=False)
    table = pd.DataFrame({"cases": grouped.size(), "median": grouped["duration"].median(),
                          "mean": grouped["duration"].mean(), "max": grouped["duration"].max(),
                          "example": grouped["case"].first()}).reset_index()
    table = table.sort_values(["cases", "variant"], ascending=[False, True])
    n = len(cases)
    rows = [{"rank": i + 1, "steps": r.variant.split("\x1f"), "cases": int(r.cases),
             "share": round(int(r.cases) / n, 4), "median_case_seconds": _seconds(r.median),
             "mean_case_seconds": _seconds(r.mean), "max_case_seconds": _seconds(r.max),
             "example_case": str(r.example)}
            for i, r in enumerate(table.head(top).itertuples(index=False))]
    return {"total": len(table), "cases": n, "shown": len(rows), "variants": rows}


def step_durations(inst: StepInstances) -> list[dict[str, Any]]:
    """Per step: instances, events, duration of an instance (its first to last event) and
    the time from its start to the next step's start in the same case."""
    f = inst.frame
    nxt = np.r_[f["start"].to_numpy()[1:], np.nan]
    nxt[inst.case_first[1:] - 1] = np.nan  # the last instance of a case has no next step
    table = f.assign(duration=f["end"] - f["start"], until_next=nxt - f["start"])
    out = []
    for step, g in table.groupby("step", sort=True):
        until = g["until_next"].dropna()
        out.append({"step": str(step), "instances": len(g), "events": int(g["events"].sum()),
                    "median_seconds": _seconds(g["duration"].median()),
                    "mean_seconds": _seconds(g["duration"].mean()),
                    "p90_seconds": _seconds(g["duration"].quantile(0.9)),
                    "max_seconds": _seconds(g["duration"].max()),
                    "median_until_next_seconds": (_seconds(until.median()) if len(until)
                                                  else None),
                    "abstained": step == UNCLASSIFIED})
    return sorted(out, key=lambda r: -r["events"])


def timeline(inst: StepInstances, case: str | None) -> dict[str, Any] | None:
    """One case's step instances in time order (the first case when `case` is None)."""
    f = inst.frame
    if case is None:
        case = str(f["case"].iloc[0])
    picked = f[f["case"] == case]
    if picked.empty:
        return None
    origin = float(picked["start"].iloc[0])
    rows = [{"step": str(r.step), "start": _iso(r.start), "end": _iso(r.end),
             "offset_seconds": _seconds(r.start - origin), "duration_seconds":
             _seconds(r.end - r.start), "events": int(r.events), "first_row": int(r.first_row)}
            for r in picked.head(MAX_TIMELINE).itertuples(index=False)]
    return {"case": case, "instances": len(picked), "events": int(picked["events"].sum()),
            "duration_seconds": _seconds(picked["end"].max() - origin), "steps": rows}


def process_views(frame: pd.DataFrame, cols: LogColumns, case: str | None = None,
                  top: int = TOP_VARIANTS) -> dict[str, Any]:
    """Every view of a tagged table (rows in any order; sorted by case and time here)."""
    inst, blanks = step_instances(frame, cols)
    cases = len(inst.case_first) - 1
    abstained = int(inst.frame.loc[inst.frame["step"] == UNCLASSIFIED, "events"].sum())
    warnings = [f"{blanks} event(s) had a blank step: shown as {UNCLASSIFIED}"] if blanks else []
    found = timeline(inst, case)
    if found is None:
        warnings.append(f"case {case!r} is not in the log: no timeline")
    return {"columns": {"case": cols.case, "timestamp": cols.timestamp, "step": cols.step},
            "summary": {"events": len(frame), "cases": cases, "step_instances": len(inst.frame),
                        "steps": int(inst.frame["step"].nunique()),
                        "abstained_events": abstained},
            "process_map": process_map(inst, cases), "variants": variants(inst, top),
            "step_durations": step_durations(inst), "timeline": found, "warnings": warnings}
