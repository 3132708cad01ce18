"""The log model's artifacts as one unit: LR head, surface features, labelled examples
for the offline LLM tier, (since v3) the cascade's fast stage and (since v5) the stated
level as a feature and the distance-aware calibration."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from backend.embedding.features import TextFeatures, hstack_csr
from backend.embedding.linear import LinearHead
from backend.logs.cascade import FastStage
from backend.logs.distance import DistanceCalibration
from backend.logs.levels import level_columns, reads_onehot, split_levels

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
    text_features: TextFeatures | None = None
    example_keys: list[str] = field(default_factory=list)  # needed with text_features
    fast: FastStage | None = None  # stage 1 of the model tier (None: MiniLM for every key)
    example_static: np.ndarray | None = None  # the examples' static vectors (with `fast`)
    distance: DistanceCalibration | None = None  # confidence that knows "far" (v5 on)

    @property
    def labels(self) -> list[str]:
        """Every label this model can give, model tier and LLM tier."""
        return sorted(set(self.head.classes) | set(self.example_labels))

    @property
    def level_weight(self) -> float:
        return float(self.config.get("level_weight", 1.0))  # type: ignore[arg-type]

    def split_levels(self, keys: Sequence[str]) -> tuple[list[str], list[str | None] | None]:
        """(bare template keys, stated levels) of the keys the classifier built; levels is None
        for a model that reads no level as a feature (its keys are used as they are)."""
        if not reads_onehot(self.config):
            return list(keys), None
        return split_levels(keys)

    def inputs(self, vectors: np.ndarray, keys: Sequence[str],
               levels: Sequence[str | None] | None = None,
               tfidf: sparse.csr_matrix | None = None) -> np.ndarray | sparse.csr_matrix:
        """What the head reads for these (bare) template keys, their embeddings given, and
        their stated levels for a model trained with them (`tfidf`: the keys' TF-IDF
        blocks, when the cascade computed them already)."""
        x = (self.text_features.combine(vectors, keys, tfidf=tfidf)
             if self.text_features is not None else vectors)
        if levels is None:
            return x
        return hstack_csr([x, level_columns(levels, self.level_weight)])

    def save_pretrained(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.head.save_pretrained(folder)
        if self.text_features is not None:
            self.text_features.save_pretrained(folder)
        if self.fast is not None:
            self.fast.save_pretrained(folder)
        if self.distance is not None:
            self.distance.save_pretrained(folder)
        arrays: dict[str, np.ndarray] = {
            "vectors": self.example_vectors.astype(np.float32),
            "labels": np.asarray(self.example_labels, dtype=str),
            "sources": np.asarray(self.example_sources, dtype=str),
            "keys": np.asarray(self.example_keys, dtype=str)}
        if self.example_static is not None:
            arrays["static_vectors"] = self.example_static.astype(np.float32)
        np.savez(folder / EXAMPLES_FILE, **arrays)  # type: ignore[arg-type]
        (folder / MODEL_CONFIG).write_text(
            json.dumps({"embedder": self.embedder, **self.config}, indent=2) + "\n",
            encoding="utf-8")

    @classmethod
    def from_pretrained(cls, folder: Path, version: str = "unversioned") -> LogModel:
        config = json.loads((folder / MODEL_CONFIG).read_text(encoding="utf-8"))
        with np.load(folder / EXAMPLES_FILE, allow_pickle=False) as data:
            vectors, labels = data["vectors"], [str(x) for x in data["labels"]]
            sources = [str(x) for x in data["sources"]]
            keys = [str(x) for x in data["keys"]] if "keys" in data else []
            static = data["static_vectors"] if "static_vectors" in data else None
        return cls(LinearHead.from_pretrained(folder), vectors, labels, sources,
                   str(config.pop("embedder")), version, config,
                   TextFeatures.from_pretrained(folder), keys, FastStage.from_pretrained(folder),
                   static, DistanceCalibration.from_pretrained(folder))
