"""Column encoders fitted in training and reloaded by serving (JSON / npz, no pickle).

Each one accepts anything a user may send at inference - unseen values,
blanks, NaN, numbers far outside the training range - and maps it to a
defined input (the unknown bucket, the mean, a clipped value, a zero vector).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from backend.core.cache import LRUCache
from backend.core.normalize import template_key

PAD, UNKNOWN = 0, 1
CLIP = 5.0


def as_text(values: pd.Series) -> pd.Series:
    """Blank, NaN and None all become "" so training and serving agree on 'missing'."""
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


class OrdinalEncoder:
    """Value -> index; 0 is padding, 1 the unknown bucket (unseen or rarer than min_count)."""

    def __init__(self, vocab: Sequence[str]) -> None:
        self.vocab = list(vocab)
        self._index = pd.Index(self.vocab)

    @classmethod
    def fit(cls, values: pd.Series, min_count: int = 1) -> OrdinalEncoder:
        counts = as_text(values).value_counts()
        kept = counts[counts >= min_count]
        return cls(sorted(kept.index.tolist()))

    @property
    def size(self) -> int:
        return len(self.vocab) + 2

    def transform(self, values: pd.Series) -> np.ndarray:
        codes = self._index.get_indexer(as_text(values))
        return np.where(codes < 0, UNKNOWN, codes + 2).astype(np.int64)

    def to_dict(self) -> dict[str, Any]:
        return {"vocab": self.vocab}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OrdinalEncoder:
        return cls(data["vocab"])


class StandardScaler:
    """(x - mean) / std per column; NaN -> 0 (the mean), clipped to +-5 std."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        self.mean = np.asarray(mean, dtype=np.float64)
        self.std = np.asarray(std, dtype=np.float64)

    @classmethod
    def fit(cls, values: np.ndarray) -> StandardScaler:
        mean = np.nanmean(values, axis=0) if len(values) else np.zeros(values.shape[1])
        std = np.nanstd(values, axis=0) if len(values) else np.ones(values.shape[1])
        mean = np.nan_to_num(mean)
        std = np.where(np.isfinite(std) & (std > 1e-9), std, 1.0)
        return cls(mean.tolist(), std.tolist())

    def transform(self, values: np.ndarray) -> np.ndarray:
        scaled = (values - self.mean) / self.std
        scaled = np.nan_to_num(scaled, nan=0.0, posinf=CLIP, neginf=-CLIP)
        return np.clip(scaled, -CLIP, CLIP).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StandardScaler:
        return cls(data["mean"], data["std"])


class VectorSource(Protocol):
    """Anything that turns texts (or image paths) into rows of floats."""

    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class ProjectedEncoder:
    """Key -> vector from a big encoder (MiniLM, image encoder), PCA-projected to `dim`.

    Keys seen in training are stored in a table; unseen keys are embedded on
    demand (and cached) when a source is attached, else they get zeros.
    Blank keys always get zeros.
    """

    def __init__(self, mean: np.ndarray, components: np.ndarray, keys: Sequence[str],
                 vectors: np.ndarray, source: VectorSource | None = None,
                 key_fn: Any = template_key, cache_size: int = 50_000) -> None:
        self.mean, self.components = mean.astype(np.float32), components.astype(np.float32)
        self.dim = int(components.shape[0])
        self.table = dict(zip(keys, vectors.astype(np.float32), strict=True))
        self.source, self.key_fn = source, key_fn
        self.cache: LRUCache[np.ndarray] = LRUCache(cache_size)

    @classmethod
    def fit(cls, texts: pd.Series, source: VectorSource, dim: int,
            key_fn: Any = template_key) -> ProjectedEncoder:
        keys = sorted({key_fn(t) for t in as_text(texts).unique()} - {""})
        raw = source.embed(keys) if keys else np.zeros((0, source.dim), np.float32)
        mean = raw.mean(axis=0) if len(raw) else np.zeros(source.dim, np.float32)
        dim = max(1, min(dim, len(keys), source.dim))
        if len(raw) >= 2:
            _, _, vt = np.linalg.svd(raw - mean, full_matrices=False)
            components = vt[:dim]
        else:
            components = np.eye(dim, source.dim, dtype=np.float32)
        vectors = (raw - mean) @ components.T if len(raw) else np.zeros((0, dim), np.float32)
        return cls(mean, components, keys, vectors, source, key_fn)

    def transform(self, texts: pd.Series) -> np.ndarray:
        text = as_text(texts)
        uniques, inverse = np.unique(text.to_numpy(dtype=str), return_inverse=True)
        vectors = np.zeros((len(uniques), self.dim), np.float32)
        unseen: dict[str, list[int]] = {}
        for i, value in enumerate(uniques):
            key = self.key_fn(value) if value else ""
            if not key:
                continue
            found = self.table.get(key)
            if found is None:
                found = self.cache.get(key)
            if found is None:
                unseen.setdefault(key, []).append(i)
            else:
                vectors[i] = found
        if unseen and self.source is not None:
            fresh = (self.source.embed(list(unseen)) - self.mean) @ self.components.T
            for (key, rows), vector in zip(unseen.items(), fresh, strict=True):
                vectors[rows] = vector
                self.cache.put(key, vector.astype(np.float32))
        return vectors[inverse.reshape(-1)]

    def save(self, path: Path) -> None:
        np.savez_compressed(path, mean=self.mean, components=self.components,
                            keys=np.asarray(list(self.table), dtype=str),
                            vectors=np.asarray(list(self.table.values()), np.float32)
                            .reshape(-1, self.dim))

    @classmethod
    def load(cls, path: Path, source: VectorSource | None, key_fn: Any = template_key
             ) -> ProjectedEncoder:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["mean"], data["components"], data["keys"].tolist(), data["vectors"],
                       source, key_fn)
