"""Builds the task categoriser for one registry version (API loader and CLI share it)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from backend.core.config import Settings
from backend.embedding.embedder import Embedder
from backend.embedding.service import build_embedder
from backend.tasks.cache import PredictionCache, build_prediction_cache
from backend.tasks.categorizer import TaskCategorizer
from backend.tasks.linear import TaskLinearModel
from backend.tasks.model import TaskHead

KIND = "task-categorizer"  # manifest kind of a task model


@lru_cache(maxsize=8)
def _cache(redis_url: str | None, maxsize: int) -> PredictionCache:
    return build_prediction_cache(redis_url, maxsize)


def prediction_cache(settings: Settings) -> PredictionCache:
    """The process-wide prediction cache for these settings (memory LRU or Redis)."""
    return _cache(settings.REDIS_URL, settings.PREDICTION_CACHE_SIZE)


@lru_cache(maxsize=4)
def _shared_embedder(kind: Literal["minilm", "gemini"], batch_size: int, cache_size: int,
                     runtime: Literal["onnx", "torch"], quantized: bool, cache_dir: Path
                     ) -> Embedder:
    return build_embedder(Settings(
        EMBEDDER=kind, BATCH_SIZE=batch_size, EMBED_CACHE_SIZE=cache_size,
        EMBED_RUNTIME=runtime, EMBED_QUANTIZED=quantized, ENCODER_CACHE_DIR=cache_dir))


def task_embedder(settings: Settings) -> Embedder:
    """One cached MiniLM embedder per process for task texts: the API, retraining jobs
    and tests share it, so base data is embedded once. (Gemini: built per call.)"""
    if settings.EMBEDDER == "minilm":
        return _shared_embedder("minilm", settings.BATCH_SIZE, settings.EMBED_CACHE_SIZE,
                                settings.EMBED_RUNTIME, settings.EMBED_QUANTIZED,
                                settings.ENCODER_CACHE_DIR)
    return build_embedder(settings)


def build_task_categorizer(settings: Settings, folder: Path, version: str,
                           embedder: Embedder | None = None) -> TaskCategorizer:
    """v2 folders (linear head) and v1 folders (MLP head) alike."""
    embedder = embedder or task_embedder(settings)
    head: TaskHead | TaskLinearModel = (
        TaskLinearModel.from_pretrained(folder) if TaskLinearModel.is_stored_in(folder)
        else TaskHead.from_pretrained(folder))
    return TaskCategorizer(head, embedder, version,
                           settings.TASK_MODEL_NAME, settings.TASK_AUTO_SELECT_THRESHOLD,
                           settings.TASK_TOP_K, prediction_cache(settings))
