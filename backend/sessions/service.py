"""Glue used by the API, the CLI and the benchmark: load a version, tag a table."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from backend.core.config import Settings
from backend.logs.embedder import MINILM_NAME, CachedEmbedder, Embedder
from backend.logs.service import build_embedder, minilm
from backend.sessions.predictor import StepPredictor

logger = logging.getLogger(__name__)

OUTPUT_COLUMNS = ("step_name", "confidence", "abstained", "predicted_step", "reason")


def build_text_source(settings: Settings, shared: Embedder | None = None) -> Embedder:
    """The MiniLM the step tagger was trained with; reuses the log tier's when it is MiniLM."""
    if shared is not None and shared.name == MINILM_NAME:
        return shared
    if settings.EMBEDDER == "minilm":
        return build_embedder(settings)  # the process-wide instance
    return CachedEmbedder(minilm(settings.BATCH_SIZE, settings.EMBED_RUNTIME,
                                 settings.ENCODER_CACHE_DIR), settings.EMBED_CACHE_SIZE)


def load_predictor(folder: Path, version: str, text_source: Embedder | None) -> StepPredictor:
    predictor = StepPredictor.from_pretrained(folder, text_source, version)
    logger.info("step tagger %s: %d labels, threshold %.2f", version, len(predictor.labels),
                predictor.threshold)
    return predictor


def tag_frame(predictor: StepPredictor, frame: pd.DataFrame, threshold: float | None
              ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The input table with the prediction columns appended (existing ones replaced)."""
    result = predictor.predict(frame, threshold)
    label = predictor.featurizer.columns.label
    out = frame.rename(columns={label: f"{label}_given"}) if label in OUTPUT_COLUMNS else frame
    out = out.drop(columns=[c for c in OUTPUT_COLUMNS if c in out.columns]).copy()
    for column in OUTPUT_COLUMNS:
        out[column] = result.frame[column].to_numpy()
    out["model_version"] = predictor.version
    summary = result.summary()
    summary["threshold"] = result.threshold
    return out, summary
