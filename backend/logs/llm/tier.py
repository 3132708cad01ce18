"""The LLM tier: dedup by template, response cache, per-request budget, call quotas.

What is sent is the masked template (`template_key`), never the raw line: the
answer is cached per (provider, source, template) for everyone's lines of that
template, so text hidden in a masked part (a URL, a quoted value) cannot decide
it. Answers that were given (a label, or "no fitting label") are cached; failed
calls and calls refused by the budget or a quota are not, so they are asked again.
"""

from __future__ import annotations

from collections.abc import Sequence

from backend.core.cache import LRUCache
from backend.core.normalize import template_key
from backend.core.quota import CallQuota
from backend.logs.llm.base import LLMAnswer, LLMItem, LLMProvider


class LLMTier:
    def __init__(self, provider: LLMProvider, labels: Sequence[str], cache_size: int = 10_000,
                 budget: int = 50, min_confidence: float = 0.5,
                 quota: CallQuota | None = None) -> None:
        self.provider = provider
        self.labels = list(labels)
        self.cache: LRUCache[LLMAnswer] = LRUCache(cache_size)
        self.budget = budget
        self.min_confidence = min_confidence
        self.quota = quota
        self.calls = 0

    def classify(self, items: Sequence[LLMItem], budget: int | None = None) -> list[LLMAnswer]:
        """One answer per item; lines of one template share one call."""
        budget = self.budget if budget is None else budget
        keys = [(item.source, template_key(item.message)) for item in items]
        answers: dict[tuple[str, str], LLMAnswer] = {}
        pending: list[tuple[str, str]] = []
        for key in keys:
            cached = self.cache.get((self.provider.name, *key))
            if cached is not None:
                answers[key] = cached
            elif key not in answers and key not in pending:
                pending.append(key)
        todo = pending
        if self.provider.remote:
            todo = self._admit(todo, budget, answers)
        if todo:
            fresh = self.provider.classify([LLMItem(source, masked) for source, masked in todo],
                                           self.labels)
            self.calls += len(todo) if self.provider.remote else 0
            for key, answer in zip(todo, fresh, strict=True):
                answers[key] = answer
                if not answer.transient:
                    self.cache.put((self.provider.name, *key), answer)
        return [answers[key] for key in keys]

    def _admit(self, todo: list[tuple[str, str]], budget: int,
               answers: dict[tuple[str, str], LLMAnswer]) -> list[tuple[str, str]]:
        """The keys that may be sent: within the request's budget and the quotas."""
        for key in todo[budget:]:
            answers[key] = LLMAnswer(None, 0.0, f"LLM call budget of {budget} per request "
                                                "exhausted", transient=True)
        todo = todo[:budget]
        if self.quota is not None and todo:
            granted, why = self.quota.grant(len(todo))
            for key in todo[granted:]:
                answers[key] = LLMAnswer(None, 0.0, why, transient=True)
            todo = todo[:granted]
        return todo
