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
from sift_tables import append_columns

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
    """The input table with the prediction columns appended. An input column named like an
    output (a labelled file's `step_name`) is kept; the output is then `sift_<name>`, and
    `summary["columns"]` maps each output to the name it got."""
    result = predictor.predict(frame, threshold)
    outputs: dict[str, Any] = {c: result.frame[c].to_numpy() for c in OUTPUT_COLUMNS}
    outputs["model_version"] = predictor.version
    out, renamed = append_columns(frame, outputs)
    summary = result.summary()
    summary["threshold"] = result.threshold
    summary["warnings"] = [*result.warnings, *renamed]
    summary["columns"] = dict(zip(outputs, out.columns[len(frame.columns):], strict=True))
    summary.update(rows_in=len(frame), classified=len(frame) - summary["abstained"],
                   refused=0)
    return out, summary
