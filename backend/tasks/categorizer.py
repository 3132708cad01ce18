"""Serving facade: task text -> embedding -> head -> category, confidence, suggestions.

Two model formats are served: v1's MLP head (`TaskHead`, generated data only, every
input gets a category) and v2's linear head (`TaskLinearModel`: embedding + TF-IDF,
an out-of-domain class, a threshold chosen on held-out authors). With v2 an input
the out-of-domain class wins abstains: category null, never auto-selected, a reason.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from backend.embedding.embedder import Embedder
from backend.tasks.cache import PredictionCache, cache_key
from backend.tasks.linear import OUT_OF_DOMAIN, TaskLinearModel, decide_rows
from backend.tasks.model import TaskHead
from backend.tasks.text import input_key, model_text, task_text, title_text

MODEL_CONFIG = "model.json"
V1_THRESHOLD = 0.7  # v1 has no calibrated threshold of its own
ABSTAIN_REASON = ("out of domain: this does not read like a work task (the model's "
                  "out-of-domain class is the most likely); no category is given")


@dataclass
class TaskPrediction:
    category: str | None
    confidence: float
    auto_selected: bool
    suggestions: list[dict[str, Any]]
    model_version: str
    cached: bool = False
    reason: str | None = None  # why there is no category (out of domain)
    text: str = field(default="", repr=False)

    @property
    def recorded_label(self) -> str:
        """What the feedback store keeps as predicted: the category, or the out-of-domain
        label for an abstention (so an accept of it teaches that class)."""
        return self.category if self.category is not None else OUT_OF_DOMAIN

    def public(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("text")
        return out


class TaskCategorizer:
    """One model version, ready to serve; thread-safe (the head is read-only)."""

    def __init__(self, head: TaskHead | TaskLinearModel, embedder: Embedder, version: str,
                 name: str, threshold: float | None = None, top_k: int = 3,
                 cache: PredictionCache | None = None) -> None:
        """`threshold` None: the model's own (v2: chosen on held-out authors; v1: 0.7)."""
        if head.embedder != embedder.name:
            raise ValueError(f"task model {version} was trained on {head.embedder} embeddings, "
                             f"but the service embeds with {embedder.name}")
        self.head, self.embedder, self.version, self.name = head, embedder, version, name
        if threshold is None:
            threshold = head.threshold if isinstance(head, TaskLinearModel) else V1_THRESHOLD
        self.threshold, self.top_k, self.cache = threshold, top_k, cache

    @property
    def classes(self) -> list[str]:
        """The categories this model can give (never the out-of-domain class)."""
        if isinstance(self.head, TaskLinearModel):
            return self.head.categories
        return self.head.classes

    def _proba(self, texts: list[str], titles: list[str | None]) -> np.ndarray:
        if isinstance(self.head, TaskLinearModel):
            seen = [model_text(t) for t in texts]
            return self.head.predict_proba(self.embedder.embed(seen), seen,
                                           [title_text(t) for t in titles])
        return self.head.predict_proba(self.embedder.embed(texts))

    def _from_proba(self, row: np.ndarray) -> dict[str, Any]:
        classes = self.head.classes
        (category,), confidence = decide_rows(row[None, :], classes)
        order = [i for i in np.argsort(-row, kind="stable") if classes[i] != OUT_OF_DOMAIN]
        suggestions = [{"category": classes[i], "confidence": round(float(row[i]), 4)}
                       for i in order[: self.top_k]]
        top = round(float(confidence[0]), 4)
        return {"category": category, "confidence": top,
                "auto_selected": bool(category is not None and confidence[0] >= self.threshold),
                "suggestions": suggestions,
                "reason": ABSTAIN_REASON if category is None else None}

    def categorize(self, items: list[tuple[str, str | None]]) -> list[TaskPrediction]:
        """One prediction per (title, description), in order; cached by normalised text."""
        texts = [task_text(title, desc) for title, desc in items]
        results: list[dict[str, Any] | None] = [None] * len(texts)
        keys = [cache_key(self.name, self.version, input_key(t)) for t in texts]
        if self.cache is not None:
            results = [self.cache.get(k) for k in keys]
        todo = [i for i, r in enumerate(results) if r is None]
        if todo:
            proba = self._proba([texts[i] for i in todo], [items[i][0] for i in todo])
            for i, row in zip(todo, proba, strict=True):
                fresh = self._from_proba(row)
                results[i] = {**fresh, "cached": False}
                if self.cache is not None:
                    self.cache.put(keys[i], fresh)
        out = []
        for text, result in zip(texts, results, strict=True):
            assert result is not None
            out.append(TaskPrediction(
                category=result["category"], confidence=result["confidence"],
                auto_selected=result["auto_selected"], suggestions=result["suggestions"],
                model_version=self.version, cached=result.get("cached", True),
                reason=result.get("reason"), text=text))
        return out


def write_model_config(folder: Path, config: dict[str, Any]) -> None:
    (folder / MODEL_CONFIG).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def read_model_config(folder: Path) -> dict[str, Any]:
    path = folder / MODEL_CONFIG
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
