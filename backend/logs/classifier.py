"""The log classifier facade: rules -> embedding + LR -> LLM, vectorised over a batch."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from backend.core.cache import LRUCache
from backend.core.normalize import template_key
from backend.embedding.embedder import Embedder
from backend.logs.adapters import ScopeAdapters, scope_corrections
from backend.logs.cascade import answer_keys
from backend.logs.levels import reads_onehot, uses_level, with_level
from backend.logs.llm.base import UNCLASSIFIED, LLMItem
from backend.logs.llm.tier import LLMTier
from backend.logs.memory import MemoryView
from backend.logs.model import LogModel
from backend.logs.rules import Rule, RuleSet


@dataclass(frozen=True)
class ClassifierOptions:
    """The behaviour switches of the classifier (taken from settings)."""

    rules_enabled: bool = True
    model_enabled: bool = True
    llm_enabled: bool = True
    llm_sources: frozenset[str] = frozenset({"LegacyCRM"})
    llm_for_low_confidence: bool = False
    threshold: float | None = None  # None: the model's calibrated threshold
    max_message_chars: int = 4096
    key_cache_size: int = 200_000
    cascade_enabled: bool = True  # the model's fast stage answers the keys it is sure of
    cascade_threshold: float | None = None  # None: the model's (chosen by train-logs)
    adapter_enabled: bool = True  # corrections reach sibling templates (backend.logs.adapters)


@dataclass
class Prediction:
    source: str
    log_message: str
    label: str
    confidence: float
    tier: str  # feedback | rules | model | llm | none
    model_version: str
    reason: str | None = None
    stage: str | None = None  # model tier only: fast (static stage) | full (MiniLM)
    template: str | None = None  # the line's template key: its pattern (docs/patterns.md)

    def to_dict(self) -> dict[str, Any]:
        # the fields are plain values: asdict's recursive deep copy cost ~50 us a row
        return dict(self.__dict__)


# what spreadsheets and pandas write for a missing cell (CSV cells arrive as text)
_MISSING = frozenset({"nan", "null", "none", "n/a", "#n/a"})


_DIGIT_SHAPE = bytes.maketrans(b"23456789", b"11111111")  # 0 stays: "0x" starts hex


def _shape(text: str) -> bytes:
    """The line with the digits 1-9 folded to 1, as UTF-8 bytes: a cache key for lines that
    differ only in their numbers. Bytes 0x32-0x39 are only ever those ASCII digits in UTF-8,
    and bytes.translate is ~30x faster than str.translate on log lines."""
    return text.encode("utf-8", "surrogatepass").translate(_DIGIT_SHAPE)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


class LogClassifier:
    """Classifies batches of (source, message); every row gets an answer, in order."""

    def __init__(self, model: LogModel, embedder: Embedder, rules: RuleSet | None,
                 llm: LLMTier | None, options: ClassifierOptions | None = None) -> None:
        self.model = model
        self.embedder = embedder
        self.rules = rules
        self.llm = llm
        self.options = options or ClassifierOptions()
        self._keys: LRUCache[str] = LRUCache(self.options.key_cache_size)
        # the first matching rule (False: none) per (source, line shape), see _rule_matches
        self.rule_cache: LRUCache[Rule | bool] = LRUCache(self.options.key_cache_size)
        # the model tier's answer per template key (label, confidence, stage): exact for
        # this model and cascade threshold, skips the features and both encoders
        self.head_cache: LRUCache[tuple[str, float, str]] = LRUCache(
            self.options.key_cache_size)
        self.adapters = ScopeAdapters(model)  # one convention adapter per memory scope

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def labels(self) -> list[str]:
        rule_labels = self.rules.labels if self.rules else set()
        return sorted(set(self.model.labels) | rule_labels)

    def threshold_for(self, override: float | None = None) -> float:
        if override is not None:
            return override
        if self.options.threshold is not None:
            return self.options.threshold
        return self.model.head.threshold

    @property
    def cascade_threshold(self) -> float | None:
        """Stage-1 confidence at which the fast stage answers; None: MiniLM for every key."""
        fast = self.model.fast
        if not self.options.cascade_enabled or fast is None:
            return None
        if self.options.cascade_threshold is not None:
            return self.options.cascade_threshold
        return fast.threshold

    def key(self, message: str) -> str:
        """Template key of one message (see `keys`)."""
        return self.keys([message])[0]

    def keys(self, messages: Sequence[str]) -> list[str]:
        """Template keys, cached by the message with digits 1-9 folded to 1. The masks treat
        those digits alike (only "0x" is special), so lines that differ only in their
        numbers share one computation; tests check the keys are unchanged."""
        texts = [m[: self.options.max_message_chars] for m in messages]
        shapes = [_shape(t) for t in texts]
        found = self._keys.get_many(shapes)
        fresh: dict[bytes, str] = {}
        for i, key in enumerate(found):
            if key is None:
                key = fresh.get(shapes[i])
                if key is None:
                    key = fresh[shapes[i]] = template_key(texts[i])
                    self._keys.put(shapes[i], key)
                found[i] = key
        return found  # type: ignore[return-value]  # every None was filled

    def _rule_matches(self, sources: Sequence[str], messages: Sequence[str]
                      ) -> list[Rule | None]:
        """The first matching rule per row. Cached by (source, line shape) when no rule tells
        the digits 1-9 apart (RuleSet.digit_blind): then the answer is the same for every
        line of that shape, and a known line costs one lookup instead of a regex scan."""
        rules = self.rules
        if rules is None:
            return [None] * len(messages)
        texts = [m[: self.options.max_message_chars] for m in messages]
        if not rules.digit_blind or self.rule_cache.maxsize <= 0:
            return [rules.match(s, t) for s, t in zip(sources, texts, strict=True)]
        ids = [(s, _shape(t)) for s, t in zip(sources, texts, strict=True)]
        found = self.rule_cache.get_many(ids)
        fresh: dict[tuple[str, bytes], Rule | bool] = {}
        out: list[Rule | None] = []
        for i, hit in enumerate(found):
            if hit is None:
                hit = fresh.get(ids[i])
                if hit is None:
                    hit = fresh[ids[i]] = rules.match(sources[i], texts[i]) or False
                    self.rule_cache.put(ids[i], hit)
            out.append(hit if isinstance(hit, Rule) else None)
        return out

    def _model_answers(self, keys: Sequence[str]) -> dict[str, tuple[str, float, str]]:
        """(label, calibrated confidence, stage) per distinct key; new keys go through the
        cascade in one batch (backend.logs.cascade)."""
        answers: dict[str, tuple[str, float, str]] = {}
        todo = []
        for key in dict.fromkeys(keys):
            hit = self.head_cache.get(key)
            if hit is None:
                todo.append(key)
            else:
                answers[key] = hit
        if todo:
            fresh = answer_keys(self.model, self.embedder, todo, self.cascade_threshold)
            for key, answer in zip(todo, fresh, strict=True):
                answers[key] = answer
                self.head_cache.put(key, answer)
        return answers

    def _head_answers(self, keys: Sequence[str]) -> dict[str, tuple[str, float]]:
        """(label, calibrated confidence) per distinct key, whichever stage answered."""
        return {k: (label, conf) for k, (label, conf, _) in self._model_answers(keys).items()}

    def _unit_vectors(self, keys: Sequence[str]) -> np.ndarray:
        bare, _ = self.model.split_levels(keys)
        vectors = np.asarray(self.embedder.embed(bare), dtype=np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def _neighbours(self, memory: MemoryView, sources: Sequence[str],
                    keys: Sequence[str], confidences: Sequence[float], thr: float
                    ) -> list[Prediction | None]:
        """Feedback-tier answers for model rows whose key is close to a correction that
        answers this caller and whose model answer is below the served threshold `thr`
        (and the rule's limit, chosen on held-out corrections)."""
        index = memory.neighbours(self.version, self._unit_vectors, self._head_answers, thr)
        if index is None or index.rule is None:
            return [None] * len(keys)
        rule = index.rule
        near = index.nearest(list(zip(sources, keys, strict=True)), self._unit_vectors)
        out: list[Prediction | None] = []
        for hit, conf in zip(near, confidences, strict=True):
            if hit is None or hit[1] < rule.similarity or conf >= min(rule.unsure_below, thr):
                out.append(None)
                continue
            entry, sim = hit
            out.append(Prediction("", "", entry.label, round(sim, 4), "feedback",
                                  self.version, f"neighbour of correction {entry.id} "
                                  f"(similarity {sim:.2f}, model confidence {conf:.2f})"))
        return out

    def _adapted(self, memory: MemoryView, sources: Sequence[str], keys: Sequence[str],
                 confidences: Sequence[float], thr: float) -> list[Prediction | None]:
        """Feedback-tier answers of the scope's convention adapter, where its evidence
        holds (backend.logs.adapter); None where the model or the neighbour rule answers."""
        found = self.adapters.answer(memory, sources, keys, confidences, thr,
                                     self._unit_vectors)
        return [Prediction("", "", hit[0].label, hit[0].probability, "feedback", self.version,
                           hit[0].reason(hit[1])) if hit is not None else None
                for hit in found]

    def refit_adapter(self, memory: MemoryView, source: str) -> float | None:
        """Fit now the adapter `memory`'s caller gets on `source` (a correction just changed
        its scope), so the correction's request cycle pays for it, not the next classify;
        the fit's seconds, None when the scope has no adapter."""
        if not self.options.adapter_enabled:
            return None
        adapter = self.adapters.for_entries(scope_corrections(memory, source),
                                            self._unit_vectors)
        return adapter.fit_s if adapter is not None else None

    def classify(self, records: Sequence[tuple[object, ...]],
                 threshold: float | None = None, llm_budget: int | None = None,
                 memory: MemoryView | None = None) -> list[Prediction]:
        """Every row answered, in order. `memory` (corrections per template key, as the
        caller sees them) is consulted before every other tier; None or empty costs
        nothing. A record is
        (source, message) or (source, message, level): the level is read by models trained
        with it (`train-logs --level-column`) and ignored by the others."""
        opts = self.options
        thr = self.threshold_for(threshold)
        version = self.version
        out: list[Prediction | None] = [None] * len(records)
        to_model: list[int] = []
        to_llm: list[int] = []
        sources = [_text(r[0]).strip() for r in records]
        messages = [_text(r[1]) for r in records]
        templates = self.keys(messages)
        remembered = memory.lookup(sources, templates) if memory else None

        matched = (self._rule_matches(sources, messages)
                   if opts.rules_enabled and self.rules is not None else None)
        for i, (source, message) in enumerate(zip(sources, messages, strict=True)):
            if not message.strip() or message.strip().lower() in _MISSING:
                out[i] = Prediction(source, message, UNCLASSIFIED, 0.0, "none", version,
                                    "empty log_message")
            elif remembered is not None and (entry := remembered[i]) is not None:
                out[i] = Prediction(source, message, entry.label, 1.0, "feedback", version,
                                    f"correction {entry.id} (feedback memory, scope "
                                    f"{entry.scope})")
            elif matched is not None and (rule := matched[i]) is not None:
                out[i] = Prediction(source, message, rule.label, 1.0, "rules", version)
            elif opts.llm_enabled and self.llm is not None and source in opts.llm_sources:
                to_llm.append(i)
            elif opts.model_enabled:
                to_model.append(i)
            else:
                out[i] = Prediction(source, message, UNCLASSIFIED, 0.0, "none", version,
                                    "no rule matched and the model tier is disabled")

        if to_model:
            keys = [templates[i] for i in to_model]
            if uses_level(self.model.config):  # a record's third value: its stated level
                onehot = reads_onehot(self.model.config)
                keys = [with_level(k, records[i][2] if len(records[i]) > 2 else None, onehot)
                        for k, i in zip(keys, to_model, strict=True)]
            by_key = self._model_answers(keys)
            model_sources = [sources[i] for i in to_model]
            confidences = [by_key[k][1] for k in keys]
            near = (self._neighbours(memory, model_sources, keys, confidences, thr)
                    if memory else [None] * len(keys))
            if memory and opts.adapter_enabled:  # the adapter's evidence first
                adapted = self._adapted(memory, model_sources, keys, confidences, thr)
                near = [a or n for a, n in zip(adapted, near, strict=True)]
            for i, key, nb in zip(to_model, keys, near, strict=True):
                label, conf, stage = by_key[key]
                if nb is not None:
                    nb.source, nb.log_message = sources[i], messages[i]
                    out[i] = nb
                elif conf >= thr:
                    out[i] = Prediction(sources[i], messages[i], label, conf, "model", version,
                                        stage=stage)
                elif opts.llm_for_low_confidence and opts.llm_enabled and self.llm is not None:
                    to_llm.append(i)
                else:
                    out[i] = Prediction(
                        sources[i], messages[i], UNCLASSIFIED, conf, "model", version,
                        f"model confidence {conf:.2f} below threshold {thr:.2f} "
                        f"(best guess: {label})", stage)

        if to_llm and self.llm is not None:
            items = [LLMItem(sources[i], messages[i][: opts.max_message_chars]) for i in to_llm]
            for i, answer in zip(to_llm, self.llm.classify(items, llm_budget), strict=True):
                if answer.label is not None and answer.confidence >= self.llm.min_confidence:
                    out[i] = Prediction(sources[i], messages[i], answer.label,
                                        answer.confidence, "llm", version)
                else:
                    reason = answer.reason or (
                        f"LLM confidence {answer.confidence:.2f} below "
                        f"{self.llm.min_confidence:.2f} (best guess: {answer.label})")
                    out[i] = Prediction(sources[i], messages[i], UNCLASSIFIED,
                                        answer.confidence, "llm", version, reason)
        done = _fill_gaps(out, version)
        for prediction, key, message in zip(done, templates, messages, strict=True):
            if message.strip():
                prediction.template = key
        return done


def _fill_gaps(out: list[Prediction | None], version: str) -> list[Prediction]:
    """Defence in depth: a row no tier answered still comes back, marked as such."""
    return [p or Prediction("", "", UNCLASSIFIED, 0.0, "none", version, "not routed")
            for p in out]


def summarize(predictions: Sequence[Prediction]) -> dict[str, Any]:
    """Coverage (share not Unclassified) and counts per tier, model-tier stage and label."""
    n = len(predictions)
    labelled = sum(p.label != UNCLASSIFIED for p in predictions)
    confidences = np.array([p.confidence for p in predictions]) if n else np.zeros(0)
    return {
        "total": n,
        "classified": labelled,
        "coverage": round(labelled / n, 4) if n else 0.0,
        "mean_confidence": round(float(confidences.mean()), 4) if n else 0.0,
        "by_tier": dict(Counter(p.tier for p in predictions).most_common()),
        "by_stage": dict(Counter(p.stage for p in predictions if p.stage).most_common()),
        "by_label": dict(Counter(p.label for p in predictions).most_common()),
    }
