"""Write tickets.xes.gz: a made-up IT-ticket process (40 cases) for the README's
walk-through, seeded so the file is the same on every run. Not real data.

    .venv/bin/python examples/make_tickets.py
"""

from __future__ import annotations

import gzip
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr

STEPS = [  # (activity, resources that do it, group)
    ("Receive ticket", ["mailbot", "portalbot"], "Intake"),
    ("Classify", ["anna", "ben"], "Service Desk"),
    ("Assign", ["anna", "ben"], "Service Desk"),
    ("Investigate", ["chen", "dora", "emil"], "Second Line"),
    ("Request information", ["chen", "dora"], "Second Line"),
    ("Resolve", ["chen", "dora", "emil"], "Second Line"),
    ("Close", ["closebot"], "Intake"),
]


def trace(rng: random.Random, case: int, start: datetime) -> str:
    steps = [s for s in STEPS if s[0] != "Request information" or rng.random() < 0.4]
    events, when = [], start
    for name, people, group in steps:
        when += timedelta(minutes=rng.randint(5, 240))
        events.append(
            "<event>"
            f'<string key="concept:name" value={quoteattr(name)}/>'
            f'<string key="org:resource" value={quoteattr(rng.choice(people))}/>'
            f'<string key="org:group" value={quoteattr(group)}/>'
            f'<date key="time:timestamp" value="{when.isoformat()}"/>'
            "</event>")
    channel = rng.choice(["email", "phone", "portal"])
    return (f'<trace><string key="concept:name" value="T{case:04d}"/>'
            f'<string key="channel" value="{channel}"/>' + "".join(events) + "</trace>\n")


def main() -> None:
    rng = random.Random(29)
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    body = "".join(trace(rng, i, start + timedelta(hours=3 * i)) for i in range(1, 41))
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<log xes.version="1.0" xmlns="http://www.xes-standard.org/">\n'
           + body + "</log>\n")
    target = Path(__file__).with_name("tickets.xes.gz")
    target.write_bytes(gzip.compress(xml.encode("utf-8"), mtime=0))


if __name__ == "__main__":
    main()
