"""The rows of GET /v1/logs/patterns from the stored patterns: filters, shares, order."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from backend.core.labels import PROBLEM_LABELS
from backend.core.normalize import masked_example
from backend.feedback.patterns import OTHER_KEY, Baseline, PatternRow

EXAMPLE_CHARS = 500


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def pattern_rows(rows: Sequence[PatternRow], buckets: Mapping[int, list[tuple[int, int]]],
                 baselines: Mapping[str, Baseline], bucket_s: int, since: float | None = None,
                 label: str | None = None, new: bool | None = None
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(patterns, sources): problem and new patterns first, then by count. With `since`,
    counts are the buckets from then on (a bucket counts whole when it starts after
    `since` or holds it), and patterns last seen before are left out."""
    counts: dict[int, int] = {}
    for row in rows:
        own = buckets.get(row.id, [])
        if since is None:
            counts[row.id] = row.count
        else:
            counts[row.id] = sum(n for start, n in own if start + bucket_s > since)
    totals: Counter[str] = Counter()
    for row in rows:
        totals[row.source] += counts[row.id]
    out = []
    for row in rows:
        base = baselines.get(row.source)
        is_new = bool(base is not None and base.complete and not row.in_baseline
                      and row.template_key != OTHER_KEY)
        if since is not None and (row.last_seen < since or not counts[row.id]):
            continue
        if label is not None and row.label != label:
            continue
        if new is not None and is_new != new:
            continue
        total = totals[row.source]
        out.append({
            "source": row.source, "template": row.template_key, "count": counts[row.id],
            "share": round(counts[row.id] / total, 4) if total else 0.0,
            "first_seen": _iso(row.first_seen), "last_seen": _iso(row.last_seen),
            "buckets": [{"start": _iso(start), "count": n}
                        for start, n in buckets.get(row.id, [])
                        if since is None or start + bucket_s > since],
            "label": row.label, "confidence": round(row.confidence, 4), "tier": row.tier,
            "problem": row.problem, "example": row.example, "new": is_new,
            "other": row.template_key == OTHER_KEY})
    out.sort(key=_order)
    sources = [{"source": s, "lines": n,
                "baseline": baselines[s].public() if s in baselines else None}
               for s, n in sorted(totals.items(), key=lambda kv: -kv[1])]
    return out, sources


def _order(p: dict[str, Any]) -> tuple[bool, bool, bool, int, str, str]:
    return (not p["problem"], not p["new"], p["other"], -p["count"], p["source"],
            p["template"])


def file_patterns(sources: Sequence[str], keys: Sequence[str], messages: Sequence[str],
                  answers: Sequence[Any]) -> list[dict[str, Any]]:
    """The pattern view of one file's own lines, counted in memory (nothing stored): the
    same rows as the live view, without time buckets and without a baseline (none new)."""
    rows: dict[tuple[str, str], PatternRow] = {}
    now = time.time()
    for source, key, message, answer in zip(sources, keys, messages, answers, strict=True):
        if not key:
            continue
        row = rows.get((source, key))
        if row is None:
            row = rows[(source, key)] = PatternRow(
                id=len(rows) + 1, source=source, template_key=key, count=0, first_seen=now,
                last_seen=now, example=masked_example(message)[:EXAMPLE_CHARS],
                label=answer.label, confidence=float(answer.confidence), tier=answer.tier,
                problem=answer.label in PROBLEM_LABELS, in_baseline=True)
        row.count += 1
    out, _ = pattern_rows(list(rows.values()), {}, {}, bucket_s=1)
    return out
