"""Builds the process-wide sentence embedder from settings (logs, sessions and tasks share it)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from backend.core.config import Settings
from backend.embedding.embedder import CachedEmbedder, Embedder, GeminiEmbedder, MiniLMEmbedder


@lru_cache(maxsize=4)
def minilm(batch_size: int, runtime: str, cache_dir: Path,
           quantized: bool = False) -> MiniLMEmbedder:
    """One encoder per process and configuration (the log and session services share it)."""
    return MiniLMEmbedder(batch_size=batch_size, runtime=runtime, cache_dir=cache_dir,
                          quantized=quantized)


def build_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder (loaded once, cached by template key)."""
    if settings.EMBEDDER == "gemini":
        if settings.GEMINI_API_KEY is None:
            raise ValueError("EMBEDDER=gemini needs GEMINI_API_KEY")
        inner: Embedder = GeminiEmbedder(
            settings.GEMINI_API_KEY.get_secret_value(), settings.GEMINI_EMBED_MODEL,
            base_url=settings.GEMINI_BASE_URL, timeout_s=settings.LLM_TIMEOUT_S)
    else:
        inner = minilm(settings.BATCH_SIZE, settings.EMBED_RUNTIME, settings.ENCODER_CACHE_DIR,
                       settings.EMBED_QUANTIZED)
    return CachedEmbedder(inner, settings.EMBED_CACHE_SIZE)
