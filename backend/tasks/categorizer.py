"""Serving facade: task text -> embedding -> head -> category, confidence, suggestions."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from backend.logs.embedder import Embedder
from backend.tasks.cache import PredictionCache, cache_key
from backend.tasks.model import TaskHead
from backend.tasks.text import input_key, task_text

MODEL_CONFIG = "model.json"


@dataclass
class TaskPrediction:
    category: str
    confidence: float
    auto_selected: bool
    suggestions: list[dict[str, Any]]
    model_version: str
    cached: bool = False
    text: str = field(default="", repr=False)

    def public(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("text")
        return out


class TaskCategorizer:
    """One model version, ready to serve; thread-safe (the head is read-only)."""

    def __init__(self, head: TaskHead, embedder: Embedder, version: str, name: str,
                 threshold: float = 0.7, top_k: int = 3,
                 cache: PredictionCache | None = None) -> None:
        if head.embedder != embedder.name:
            raise ValueError(f"task model {version} was trained on {head.embedder} embeddings, "
                             f"but the service embeds with {embedder.name}")
        self.head, self.embedder, self.version, self.name = head, embedder, version, name
        self.threshold, self.top_k, self.cache = threshold, top_k, cache

    @property
    def classes(self) -> list[str]:
        return self.head.classes

    def _from_proba(self, row: np.ndarray) -> dict[str, Any]:
        order = np.argsort(-row, kind="stable")[: self.top_k]
        suggestions = [{"category": self.classes[i], "confidence": round(float(row[i]), 4)}
                       for i in order]
        top = suggestions[0]
        return {"category": top["category"], "confidence": top["confidence"],
                "auto_selected": top["confidence"] >= self.threshold,
                "suggestions": suggestions}

    def categorize(self, items: list[tuple[str, str | None]]) -> list[TaskPrediction]:
        """One prediction per (title, description), in order; cached by normalised text."""
        texts = [task_text(title, desc) for title, desc in items]
        results: list[dict[str, Any] | None] = [None] * len(texts)
        keys = [cache_key(self.name, self.version, input_key(t)) for t in texts]
        if self.cache is not None:
            results = [self.cache.get(k) for k in keys]
        todo = [i for i, r in enumerate(results) if r is None]
        if todo:
            proba = self.head.predict_proba(self.embedder.embed([texts[i] for i in todo]))
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
                model_version=self.version, cached=result.get("cached", True), text=text))
        return out


def write_model_config(folder: Path, config: dict[str, Any]) -> None:
    (folder / MODEL_CONFIG).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def read_model_config(folder: Path) -> dict[str, Any]:
    path = folder / MODEL_CONFIG
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
