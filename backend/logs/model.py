"""The log model's artifacts as one unit: LR head + labelled examples for the offline LLM."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from backend.logs.linear import LinearHead

EXAMPLES_FILE = "examples.npz"
MODEL_CONFIG = "model.json"


@dataclass
class LogModel:
    head: LinearHead
    example_vectors: np.ndarray
    example_labels: list[str]
    example_sources: list[str]
    embedder: str
    version: str = "unversioned"
    config: dict[str, object] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        """Every label this model can give, model tier and LLM tier."""
        return sorted(set(self.head.classes) | set(self.example_labels))

    def save_pretrained(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.head.save_pretrained(folder)
        np.savez(folder / EXAMPLES_FILE, vectors=self.example_vectors.astype(np.float32),
                 labels=np.asarray(self.example_labels, dtype=str),
                 sources=np.asarray(self.example_sources, dtype=str))
        (folder / MODEL_CONFIG).write_text(
            json.dumps({"embedder": self.embedder, **self.config}, indent=2) + "\n",
            encoding="utf-8")

    @classmethod
    def from_pretrained(cls, folder: Path, version: str = "unversioned") -> LogModel:
        config = json.loads((folder / MODEL_CONFIG).read_text(encoding="utf-8"))
        with np.load(folder / EXAMPLES_FILE, allow_pickle=False) as data:
            vectors, labels = data["vectors"], [str(x) for x in data["labels"]]
            sources = [str(x) for x in data["sources"]]
        return cls(LinearHead.from_pretrained(folder), vectors, labels, sources,
                   str(config.pop("embedder")), version, config)
