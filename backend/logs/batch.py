"""Columnar answers for a batch: rows that differ only in their numbers are answered once.

A table of log lines repeats itself: the 10,000 Loghub lines have 2,757 distinct shapes
(the line with the digits 1-9 folded to 1). Every tier treats the digits 1-9 alike -
template keys by construction, rules when `RuleSet.digit_blind` - so the classifier answers
one representative row per (source, shape) and every other row of the group shares that
answer. Output columns are the group answers taken by a row index (numpy), so a known
line costs a hash of its shape, not a Prediction object or a pass through the tiers.

Rows that may reach the LLM tier are grouped by their exact text instead (a provider
may read the digits), and so is every row when a rule tells digits apart.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from backend.logs.classifier import LogClassifier, Prediction, _shape, _text
from backend.logs.levels import normalize_level, uses_level


@dataclass(frozen=True)
class BatchAnswers:
    """Row i's answer is `distinct[index[i]]`; `distinct` holds one Prediction per group
    (its source and log_message are those of the group's first row)."""

    distinct: list[Prediction]
    index: np.ndarray  # intp, one entry per row

    def __len__(self) -> int:
        return len(self.index)

    def rows(self) -> list[Prediction]:
        """One entry per row, shared between the rows of a group (no copies): for counters
        and summaries, which read label, tier, confidence, stage and the template key."""
        distinct = self.distinct
        return [distinct[i] for i in self.index.tolist()]

    def column(self, name: str, default: Any = None,
               convert: Callable[[Any], Any] | None = None) -> np.ndarray:
        """One field per row as an object array: attribute `name` (`default` when absent or
        None, then `convert`ed), computed per group and taken by the row index."""
        values = [v if (v := getattr(p, name, None)) is not None else default
                  for p in self.distinct]
        column = np.empty(len(values), dtype=object)
        column[:] = [convert(v) for v in values] if convert is not None else values
        return column[self.index]

    def predictions(self, sources: Sequence[object], messages: Sequence[object]
                    ) -> list[Prediction]:
        """One Prediction per row with the row's own source and message (the JSON body)."""
        out = []
        for i, source, message in zip(self.index.tolist(), sources, messages, strict=True):
            prediction = copy.copy(self.distinct[i])
            prediction.source, prediction.log_message = _text(source).strip(), _text(message)
            out.append(prediction)
        return out


def classify_batch(classifier: LogClassifier, sources: Sequence[object],
                   messages: Sequence[object], threshold: float | None = None,
                   llm_budget: int | None = None, levels: Sequence[object] | None = None,
                   **options: Any) -> BatchAnswers:
    """The classifier's answers for every row (in order), computed once per group of rows that
    every tier answers alike. `levels`: each row's stated level (a `level` / `severity`
    column), evidence for models trained with it. `options` go to
    `LogClassifier.classify` (e.g. memory)."""
    firsts, index = group_rows(classifier, sources, messages, levels)
    records = ([(sources[i], messages[i], levels[i]) for i in firsts] if levels is not None
               else [(sources[i], messages[i]) for i in firsts])
    distinct = classifier.classify(records, threshold, llm_budget, **options)
    return BatchAnswers(distinct, index)


def group_rows(classifier: LogClassifier, sources: Sequence[object],
               messages: Sequence[object], levels: Sequence[object] | None = None
               ) -> tuple[list[int], np.ndarray]:
    """(first row of each group, group of each row). Rows share a group when the classifier
    answers them alike: same source, stated level (when the model reads it) and digit
    shape, or same exact text where the digits may matter (LLM-bound rows, rules that
    tell digits apart)."""
    opts = classifier.options
    llm_on = opts.llm_enabled and classifier.llm is not None
    exact_all = (llm_on and opts.llm_for_low_confidence) or (
        opts.rules_enabled and classifier.rules is not None
        and not classifier.rules.digit_blind)
    exact_sources = opts.llm_sources if llm_on else frozenset()
    stated = (levels is not None and uses_level(classifier.model.config))
    groups: dict[tuple[str, str | bytes] | tuple[str, str | bytes, str | None], int] = {}
    firsts: list[int] = []
    index = np.empty(len(messages), dtype=np.intp)
    for i, (raw_source, raw_message) in enumerate(zip(sources, messages, strict=True)):
        source = _text(raw_source).strip()
        message = _text(raw_message)
        text = message if exact_all or source in exact_sources else _shape(message)
        key = ((source, text, normalize_level(levels[i])) if stated  # type: ignore[index]
               else (source, text))
        group = groups.get(key)
        if group is None:
            group = groups[key] = len(firsts)
            firsts.append(i)
        index[i] = group
    return firsts, index
