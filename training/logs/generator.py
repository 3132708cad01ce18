"""Seeded generator of realistic, labelled log lines.

``generate_logs(n, seed)`` returns a DataFrame of synthetic log lines for training
and evaluating the log classifier. Every row records the template that produced
it (``template_id``) so evaluation can hold out whole templates, and the tier
that should handle it (``complexity``).

Template banks live in ``training.logs.templates`` and slot fillers (realistic
IPs, ids, paths, durations, ...) in ``training.logs.vocab``; this module holds
the rendering and sampling logic. All randomness comes from one
``random.Random(seed)``, so output is reproducible.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from training.logs.templates import LABEL_SPECS, LabelSpec
from training.logs.vocab import DATED_SLOTS, LINKED_SLOTS, TIME_SLOTS, VALUE_SLOTS

LABELS: tuple[str, ...] = tuple(spec.label for spec in LABEL_SPECS)
SOURCES: tuple[str, ...] = (
    "ModernCRM",
    "ModernHR",
    "BillingSystem",
    "AnalyticsEngine",
    "ThirdPartyAPI",
    "ComputeCloud",
    "LegacyCRM",
)
COLUMNS: tuple[str, ...] = (
    "timestamp", "source", "log_message", "target_label", "template_id", "complexity",
)

# --------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class TemplateInfo:
    template_id: str
    label: str
    text: str
    sources: tuple[str, ...]
    complexity: str


def _catalogue(spec: LabelSpec) -> list[TemplateInfo]:
    llm = set(spec.sources) == {"LegacyCRM"}
    entries = [(t, "regex") for t in spec.regex_templates] + [(t, "model") for t in spec.templates]
    return [
        TemplateInfo(
            template_id=f"{spec.slug}/{template[0]}",
            label=spec.label,
            text=template[1],
            sources=template[2] if len(template) == 3 else (),
            complexity="llm" if llm else complexity,
        )
        for template, complexity in entries
    ]


TEMPLATES: dict[str, list[TemplateInfo]] = {spec.label: _catalogue(spec) for spec in LABEL_SPECS}

_FORMATTER = string.Formatter()
_COPY_SUFFIX = re.compile(r"_\d+$")
_LINKED_GROUP = {name: (group, column) for group in LINKED_SLOTS
                 for column, name in enumerate(group)}
_ALL_SLOTS = {*VALUE_SLOTS, *TIME_SLOTS, *DATED_SLOTS, *_LINKED_GROUP}


def render(text: str, rng: random.Random, when: datetime) -> str:
    """Fill every slot of ``text``; a repeated slot name gets the same value."""
    values: dict[str, str] = {}
    linked_rows: dict[tuple[str, ...], tuple[str, ...]] = {}
    for _, name, _, _ in _FORMATTER.parse(text):
        if not name or name in values:
            continue
        kind = name if name in _ALL_SLOTS else _COPY_SUFFIX.sub("", name)
        if kind in _LINKED_GROUP:
            group, column = _LINKED_GROUP[kind]
            if group not in linked_rows:
                linked_rows[group] = rng.choice(LINKED_SLOTS[group])
            values[name] = linked_rows[group][column]
        elif kind in TIME_SLOTS:
            values[name] = TIME_SLOTS[kind](when)
        elif kind in DATED_SLOTS:
            values[name] = DATED_SLOTS[kind](rng, when)
        else:
            values[name] = VALUE_SLOTS[kind](rng)
    return text.format_map(values)


# --------------------------------------------------------------------------- sampling

def _label_counts(n: int) -> dict[str, int]:
    """Split ``n`` rows across labels by share (largest remainder)."""
    total = sum(spec.share for spec in LABEL_SPECS)
    exact = {spec.label: n * spec.share / total for spec in LABEL_SPECS}
    counts = {label: int(value) for label, value in exact.items()}
    by_remainder = sorted(exact, key=lambda label: exact[label] - counts[label], reverse=True)
    for label in by_remainder[: n - sum(counts.values())]:
        counts[label] += 1
    return counts


def _timestamps(n: int, rng: random.Random) -> list[datetime]:
    """Random times in 2025, sorted, then jittered so the order is only roughly increasing."""
    start, span = datetime(2025, 1, 1), 365 * 86400.0
    offsets = sorted(rng.uniform(0, span) for _ in range(n))
    jittered = [min(max(offset + rng.gauss(0, 600), 0.0), span - 1) for offset in offsets]
    return [start + timedelta(seconds=round(offset, 3)) for offset in jittered]


def generate_logs(n: int = 6000, seed: int = 42) -> pd.DataFrame:
    """Generate ``n`` labelled log lines, deterministically for a given ``seed``."""
    if n < 0:
        raise ValueError("n must be non-negative")
    rng = random.Random(seed)
    labels = [label for label, count in _label_counts(n).items() for _ in range(count)]
    rng.shuffle(labels)
    source_weights = {spec.label: spec.sources for spec in LABEL_SPECS}

    rows = []
    for when, label in zip(_timestamps(n, rng), labels, strict=True):
        template = rng.choice(TEMPLATES[label])
        if template.sources:
            source = rng.choice(template.sources)
        else:
            weights = source_weights[label]
            source = rng.choices(list(weights), weights=list(weights.values()))[0]
        rows.append((
            when.isoformat(timespec="seconds"),
            source,
            render(template.text, rng, when),
            label,
            template.template_id,
            template.complexity,
        ))
    return pd.DataFrame(rows, columns=list(COLUMNS))
