"""The LLM tier: dedup by template, response cache, per-request call budget."""

from __future__ import annotations

from collections.abc import Sequence

from backend.core.cache import LRUCache
from backend.logs.llm.base import LLMAnswer, LLMItem, LLMProvider
from backend.logs.normalize import template_key


class LLMTier:
    def __init__(self, provider: LLMProvider, labels: Sequence[str], cache_size: int = 10_000,
                 budget: int = 50, min_confidence: float = 0.5) -> None:
        self.provider = provider
        self.labels = list(labels)
        self.cache: LRUCache[LLMAnswer] = LRUCache(cache_size)
        self.budget = budget
        self.min_confidence = min_confidence
        self.calls = 0

    def classify(self, items: Sequence[LLMItem], budget: int | None = None) -> list[LLMAnswer]:
        """One answer per item; lines of one template share one call."""
        budget = self.budget if budget is None else budget
        keys = [(item.source, template_key(item.message)) for item in items]
        answers: dict[tuple[str, str], LLMAnswer] = {}
        pending: dict[tuple[str, str], LLMItem] = {}
        for key, item in zip(keys, items, strict=True):
            cached = self.cache.get((self.provider.name, *key))
            if cached is not None:
                answers[key] = cached
            elif key not in pending:
                pending[key] = item
        todo = list(pending.items())
        if self.provider.remote and len(todo) > budget:
            over = todo[budget:]
            todo = todo[:budget]
            for key, _ in over:
                answers[key] = LLMAnswer(
                    None, 0.0, f"LLM call budget of {budget} per request exhausted")
        if todo:
            fresh = self.provider.classify([item for _, item in todo], self.labels)
            self.calls += len(todo) if self.provider.remote else 0
            for (key, _), answer in zip(todo, fresh, strict=True):
                answers[key] = answer
                if answer.label is not None:  # failures are retried next time
                    self.cache.put((self.provider.name, *key), answer)
        return [answers[key] for key in keys]

