"""Seeded generator of realistic task-mining sessions (see docs/sessions.md, "Data").

A session runs one to five cases of a process; each step emits a variable
event sequence from its pattern, with generic noise events, optional and
repeated steps, interruptions ("Other") and truncated starts, so sessions
range from 5 to 200 events. Since v2 of the default model it is harder on
purpose, so that the held-out figure means something: more noise, blank or
generic window titles, rare steps (a few per cent of cases), steps that
overlap at their boundary (the next one starts before the last one ends),
and sessions that interleave two cases of different processes. Same seed ->
same CSV.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from training.steps.catalog import (
    ACTION_TYPES,
    CUSTOMERS,
    INTERRUPTION,
    NOISE_EVENTS,
    PROCESSES,
    USERS,
    VENDORS,
    Process,
    Step,
)

MIN_LEN, MAX_LEN = 5, 200
_DISTRACTIONS = ("Task View", "Notification Centre", "Program Manager", "Start")
_GENERIC_TITLES = ("Book1 - Excel", "Untitled - Message", "New Tab - Google Chrome", "")
_MEAN_GAP_S = {"navigation": 3.0, "click": 2.0, "keyboard": 4.0, "clipboard": 1.0,
               "mouse": 1.5, "file": 5.0}


def _pattern(element: str) -> tuple[str, str | None, int, int, float]:
    event, span, prob = element.split(":")
    event, _, app = event.partition("@")
    low, high = span.split("-")
    return event, app or None, int(low), int(high), float(prob)


class _Session:
    """Builds the rows of one session; the generator's RNG is the only source of chance."""

    def __init__(self, rng: np.random.Generator, session_id: str, start: datetime,
                 noise: float, image_dir: Path | None) -> None:
        self.rng, self.session_id, self.clock = rng, session_id, start
        self.noise, self.image_dir = noise, image_dir
        self.rows: list[dict[str, object]] = []
        self.starts: list[int] = []  # first row of each emitted step
        self.user = str(rng.choice(USERS))
        self.slots: dict[str, str] = {}

    def new_case(self) -> dict[str, str]:
        r = self.rng
        return {"n": str(r.integers(10_000, 99_999)), "vendor": str(r.choice(VENDORS)),
                "customer": str(r.choice(CUSTOMERS)), "cc": str(r.integers(1000, 1999)),
                "yy": str(r.integers(22, 27)), "mm": f"{r.integers(1, 13):02d}",
                "user": self.user}

    def emit_step(self, step: Step, slots: dict[str, str]) -> None:
        r = self.rng
        self.slots = slots
        self.starts.append(len(self.rows))
        self.clock += timedelta(seconds=float(r.exponential(12.0)) + 2.0)  # pause between steps
        title = r.choice(step.titles).format(**self.slots)
        events: list[tuple[str, str | None]] = []
        for element in step.pattern:
            event, app, low, high, prob = _pattern(element)
            if r.random() < prob:
                events.extend([(event, app)] * int(r.integers(low, high + 1)))
        if not events:
            event, app, *_ = _pattern(step.pattern[0])
            events.append((event, app))
        for event, app in events:
            if r.random() < self.noise:
                self._emit(step, str(r.choice(NOISE_EVENTS)), None, title)
            if r.random() < 0.15:
                title = r.choice(step.titles).format(**self.slots)
            self._emit(step, event, app, title)

    def _emit(self, step: Step, event: str, app: str | None, title: str) -> None:
        r = self.rng
        if r.random() < self.noise / 2:  # focus briefly elsewhere: context must carry the step
            title, app = str(r.choice(_DISTRACTIONS)), "Windows"
        elif r.random() < self.noise / 2:  # a title that says nothing, or none recorded
            title = str(r.choice(_GENERIC_TITLES))
        action = ACTION_TYPES[event]
        self.clock += timedelta(seconds=float(r.lognormal(np.log(_MEAN_GAP_S[action]), 0.6)))
        is_file = action == "file"
        extension = str(r.choice(step.extensions)) if is_file and step.extensions else ""
        sharepoint = int(is_file and r.random() < step.sharepoint)
        depth = int(r.integers(2, 7)) if is_file else 0
        row: dict[str, object] = {
            "session_id": self.session_id,
            "timestamp": self.clock.isoformat(timespec="milliseconds"),
            "event_name": event, "action_type": action, "target_app": app or step.app,
            "file_extension": extension, "file_path_depth": depth, "is_sharepoint": sharepoint,
            "event_name_length": len(event), "window_title": title, "step_name": step.name,
        }
        if self.image_dir is not None:
            row["screenshot_path"] = str(self.image_dir / _screen_name(app or step.app, step))
        self.rows.append(row)


def _screen_name(app: str, step: Step) -> str:
    return f"{app}_{step.name}".lower().replace(" ", "_") + ".png"


def _plan(rng: np.random.Generator, process: Process, interruptions: float) -> list[Step]:
    """The steps one case goes through, in order (skips, loops, interruptions drawn)."""
    plan: list[Step] = []
    for step in process.steps:
        if rng.random() < step.optional:
            continue
        plan.append(step)
        while rng.random() < step.loop:
            plan.append(step)
        if rng.random() < interruptions:
            plan.append(INTERRUPTION)
    return plan


def _interleave(rng: np.random.Generator, a: list[Step], b: list[Step]) -> list[tuple[int, Step]]:
    """Two cases worked on at once: each keeps its order, the user switches between them."""
    out: list[tuple[int, Step]] = []
    i = j = 0
    while i < len(a) or j < len(b):
        if j >= len(b) or (i < len(a) and rng.random() < 0.5):
            out.append((0, a[i]))
            i += 1
        else:
            out.append((1, b[j]))
            j += 1
    return out


def _overlap(rng: np.random.Generator, rows: list[dict[str, object]], starts: list[int],
             share: float) -> None:
    """At some step boundaries the next step starts before the last one ends: the last
    events of one and the first of the next are shuffled (each keeps its own order), and
    the timestamps stay increasing."""
    for start in starts[1:]:
        if rng.random() >= share:
            continue
        k = int(rng.integers(1, 4))
        lo, hi = max(start - k, 0), min(start + k, len(rows))
        tail, head = rows[lo:start], rows[start:hi]
        if not tail or not head:
            continue
        picks = rng.permutation([0] * len(tail) + [1] * len(head))
        sources = [iter(tail), iter(head)]
        merged = [next(sources[p]) for p in picks]
        stamps = [r["timestamp"] for r in rows[lo:hi]]
        rows[lo:hi] = [{**row, "timestamp": stamp} for row, stamp in
                       zip(merged, stamps, strict=True)]


def _sessions(n: int, seed: int, noise: float, interruptions: float, overlap: float,
              interleaved: float, image_dir: Path | None) -> Iterator[list[dict[str, object]]]:
    rng = np.random.default_rng(seed)
    base = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    for i in range(n):
        start = base + timedelta(minutes=int(rng.integers(0, 60 * 24 * 60)))
        s = _Session(rng, f"S{seed}-{i:05d}", start, noise, image_dir)
        k = int(rng.integers(len(PROCESSES)))
        for _ in range(int(rng.choice([1, 1, 1, 2, 3, 4, 5]))):
            cases = [(s.new_case(), _plan(rng, PROCESSES[k], interruptions))]
            if rng.random() < interleaved:  # a second case of another process at once
                other = PROCESSES[(k + int(rng.integers(1, len(PROCESSES)))) % len(PROCESSES)]
                cases.append((s.new_case(), _plan(rng, other, interruptions)))
            steps = (_interleave(rng, cases[0][1], cases[1][1]) if len(cases) == 2
                     else [(0, step) for step in cases[0][1]])
            for case, step in steps:
                s.emit_step(step, cases[case][0])
        _overlap(rng, s.rows, s.starts, overlap)
        rows = s.rows
        if len(rows) > MIN_LEN * 2 and rng.random() < 0.15:  # recording started mid-task
            rows = rows[int(rng.integers(1, len(rows) - MIN_LEN)):]
        yield rows[:MAX_LEN]


def generate_sessions(n_sessions: int = 1200, seed: int = 42, noise: float = 0.2,
                      interruptions: float = 0.08, overlap: float = 0.15,
                      interleaved: float = 0.2, image_dir: Path | None = None) -> pd.DataFrame:
    """A labelled event log: one row per event, sessions in time order.

    `overlap` is the share of step boundaries where two steps' events mix;
    `interleaved` the share of cases worked on together with a second case.
    """
    rows = [row for session in _sessions(n_sessions, seed, noise, interruptions, overlap,
                                         interleaved, image_dir)
            for row in session]
    frame = pd.DataFrame(rows)
    if image_dir is not None:
        write_screenshots(image_dir, seed)
    return frame


def write_screenshots(image_dir: Path, seed: int = 42) -> int:
    """Small PNG 'screenshots' (32x24): app colour scheme plus a per-screen layout."""
    import matplotlib.image as mpimg

    image_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    palette: dict[str, np.ndarray] = {}
    count = 0
    for process in PROCESSES:
        for step in (*process.steps, INTERRUPTION):
            apps = {step.app} | {_pattern(e)[1] for e in step.pattern if _pattern(e)[1]}
            for app in sorted(a for a in apps if a):
                colour = palette.setdefault(app, rng.uniform(0.2, 0.9, 3))
                image = np.ones((24, 32, 3)) * 0.95
                image[:4] = colour  # title bar
                layout = np.random.default_rng(zlib.crc32(step.name.encode()))
                for _ in range(4):
                    y, x = int(layout.integers(5, 20)), int(layout.integers(0, 26))
                    image[y:y + 3, x:x + 6] = colour * layout.uniform(0.5, 1.0)
                mpimg.imsave(image_dir / _screen_name(app, step), np.clip(image, 0, 1))
                count += 1
    return count
