"""Classifying log rows: the one use case behind every door (issue 25).

JSON, text/plain, NDJSON / JSON arrays, CSV and raw `.log` uploads, OTLP and bulk
(local and Ray) all parse their own envelope and then call `classify_rows`, so the
feedback memory (the caller's view of it), the neighbours and the LLM budget apply the
same way whichever door a line came through. The answer is one `LogResult`: the
predictions, the result columns under one set of names, the summary with row
accounting, and the warnings.

Naming rule (docs/api.md): tabular outputs (CSV, NDJSON and JSON-array records, raw-log
records, bulk files) call the label `target_label`; JSON prediction objects call it
`label`. A result column whose name an input column already has is written as
`sift_<name>` and the input column is kept as sent (one clash policy everywhere).
Booleans are JSON `true` / `false` and CSV `True` / `False` (pandas' and the CLI's writer).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from backend.logs.batch import BatchAnswers, classify_batch
from backend.logs.classifier import LogClassifier, Prediction, _text
from backend.logs.columns import PREFIX, RESULT_COLUMNS
from backend.logs.llm.base import UNCLASSIFIED
from backend.logs.memory import MemoryView


@dataclass(frozen=True)
class ClassifyOptions:
    """What a caller may choose, the same on every door."""

    threshold: float | None = None  # None: the served model's own
    memory: MemoryView | None = None  # the caller's view of the corrections (None: none)
    llm_budget: int | None = None  # LLM-tier calls for this batch; None: the classifier's


@dataclass
class LogResult:
    """One answer, whatever the door: rendered by the door as JSON, CSV, OTLP or a file."""

    predictions: list[Prediction]
    model_version: str
    threshold: float
    rows_in: int
    refused: int = 0
    warnings: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """The result columns of each prediction (tabular names: `target_label`)."""
        return [result_fields(p, self.model_version) for p in self.predictions]

    def columns(self) -> dict[str, list[Any]]:
        """The result columns, column by column."""
        out: dict[str, list[Any]] = {name: [] for name in RESULT_COLUMNS}
        for row in self.rows():
            for name in RESULT_COLUMNS:
                out[name].append(row[name])
        return out

    def summary(self) -> dict[str, Any]:
        return summary_of(self.predictions, self.rows_in, self.refused)


def result_fields(prediction: Prediction, version: str) -> dict[str, Any]:
    """One row's result columns, as every tabular door writes them."""
    return {"target_label": prediction.label, "confidence": round(prediction.confidence, 4),
            "tier": prediction.tier, "model_version": version,
            "reason": prediction.reason or "", "stage": prediction.stage or "",
            "template": getattr(prediction, "template", None) or ""}


def output_names(taken: Iterable[str]) -> dict[str, str]:
    """Result column -> its name beside the input's columns `taken` (`sift_<name>` on a
    clash, repeated until free), the rule of sift_tables.append_columns."""
    used = {str(name).strip().lower() for name in taken}
    names = {}
    for name in RESULT_COLUMNS:
        target = name
        while target.lower() in used:
            target = PREFIX + target
        used.add(target.lower())
        names[name] = target
    return names


def clash_warnings(names: dict[str, str], what: str = "column") -> list[str]:
    return [f"the input already has a {what} named {name!r}; it is kept as sent and the "
            f"result is in {target!r}" for name, target in names.items() if name != target]


def summary_of(predictions: Sequence[Prediction], rows_in: int, refused: int = 0
               ) -> dict[str, Any]:
    """Coverage and counts, with the row accounting: rows_in = classified + abstained +
    refused."""
    n = len(predictions)
    classified = sum(p.label != UNCLASSIFIED for p in predictions)
    mean = sum(p.confidence for p in predictions) / n if n else 0.0
    return {
        "total": n, "classified": classified,
        "coverage": round(classified / n, 4) if n else 0.0,
        "mean_confidence": round(mean, 4),
        "by_tier": dict(Counter(p.tier for p in predictions).most_common()),
        "by_stage": dict(Counter(p.stage for p in predictions if p.stage).most_common()),
        "by_label": dict(Counter(p.label for p in predictions).most_common()),
        "rows_in": rows_in, "abstained": n - classified, "refused": refused,
    }


def classify_rows(classifier: LogClassifier, records: Sequence[tuple[object, ...]],
                  options: ClassifyOptions | None = None, *, rows_in: int | None = None,
                  refused: int = 0, warnings: Sequence[str] = ()) -> LogResult:
    """Classify `records` ((source, message) or (source, message, level)) with the memory,
    the neighbours and the LLM budget of `options`; every row answered, in order.
    `rows_in` / `refused`: the door's own accounting (rows it read, rows it refused)."""
    options = options or ClassifyOptions()
    predictions = classifier.classify(records, options.threshold, options.llm_budget,
                                      memory=options.memory)
    _fill_templates(classifier, predictions, [r[1] for r in records])
    return LogResult(predictions, classifier.version, classifier.threshold_for(options.threshold),
                     len(records) + refused if rows_in is None else rows_in, refused,
                     list(warnings))


def classify_table(classifier: LogClassifier, sources: Sequence[object],
                   messages: Sequence[object], levels: Sequence[object] | None = None,
                   options: ClassifyOptions | None = None) -> BatchAnswers:
    """`classify_rows` for a table, answered once per group of rows every tier answers alike
    (backend.logs.batch): the same memory, neighbours and LLM budget, columnar answers."""
    options = options or ClassifyOptions()
    batch = classify_batch(classifier, sources, messages, options.threshold, options.llm_budget,
                           levels=levels, memory=options.memory)
    firsts = batch.index.tolist()
    first_of: dict[int, int] = {}
    for row, group in enumerate(firsts):
        first_of.setdefault(group, row)
    _fill_templates(classifier, batch.distinct,
                    [messages[first_of[g]] for g in range(len(batch.distinct))])
    return batch


def table_columns(batch: BatchAnswers, version: str) -> dict[str, Any]:
    """The result columns of a classified table (tabular names), one array per column."""
    return {"target_label": batch.column("label"),
            "confidence": batch.column("confidence", convert=lambda c: round(c, 4)),
            "tier": batch.column("tier"), "model_version": version,
            "reason": batch.column("reason", ""), "stage": batch.column("stage", ""),
            "template": batch.column("template", "")}


def _fill_templates(classifier: LogClassifier, predictions: Sequence[Prediction],
                    messages: Sequence[object]) -> None:
    """The template key (the pattern a line belongs to) on every answer to a non-blank
    line, where the tiers did not set it already."""
    missing = [i for i, p in enumerate(predictions)
               if not getattr(p, "template", None) and _text(messages[i]).strip()]
    if missing:
        keys = classifier.keys([_text(messages[i]) for i in missing])
        for i, key in zip(missing, keys, strict=True):
            predictions[i].template = key
