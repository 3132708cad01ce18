"""Glue used by the API, the CLI and the benchmark: load a version, tag a table."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from backend.core.config import Settings
from backend.logs.embedder import MINILM_NAME, CachedEmbedder, Embedder
from backend.logs.service import build_embedder, minilm
from backend.registry.base import ModelStore
from backend.sessions.columns import AlignedEvents
from backend.sessions.predictor import StepPredictions, StepPredictor
from sift_tables import append_columns

logger = logging.getLogger(__name__)

OUTPUT_COLUMNS = ("step_name", "confidence", "abstained", "predicted_step", "reason")
KIND = "step-tagger"


def step_model_names(store: ModelStore, preferred: str) -> list[str]:
    """Every registered step model (manifest kind), so several processes are served side by
    side; `preferred` (STEP_MODEL_NAME) first when it has versions."""
    names = []
    for name in store.names():
        try:
            kind = store.manifest(name, store.resolve(name)).kind
        except Exception as exc:  # a broken model is reported by /v1/models, not fatal here
            logger.warning("cannot read %s's manifest: %s", name, exc)
            continue
        if kind == KIND or name == preferred:
            names.append(name)
    if preferred in names:
        names.remove(preferred)
        names.insert(0, preferred)
    return names


def needs_text(params: dict[str, Any]) -> bool:
    """A model trained without text columns never needs MiniLM (unknown params: assume it)."""
    columns = params.get("columns")
    return not isinstance(columns, dict) or bool(columns.get("text", True))


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


@dataclass(frozen=True)
class TaggedEvents:
    """One tagging's typed result: the events as sent with the step columns appended, and
    what the doors render from it (JSON answer, CSV headers, CLI lines, jobs)."""

    table: pd.DataFrame  # the events (model's header names) + the output columns
    events: AlignedEvents  # what the model read: every feature column present
    predictions: StepPredictions
    columns: dict[str, str]  # output name -> column it got (`sift_<name>` on a clash)
    warnings: tuple[str, ...] = ()

    @property
    def threshold(self) -> float:
        return self.predictions.threshold

    @property
    def coverage(self) -> float:
        return self.predictions.coverage

    @property
    def model_version(self) -> str:
        return self.predictions.model_version

    def column(self, output: str) -> pd.Series:
        """An output column (`step_name`, `confidence`, ...) under the name it got."""
        return self.table[self.columns[output]]

    def summary(self) -> dict[str, Any]:
        """Counts, coverage, threshold and row accounting (rows in = classified +
        abstained; nothing is refused once the events are read)."""
        summary = self.predictions.summary()
        return {**summary, "threshold": self.threshold, "rows_in": len(self.table),
                "classified": len(self.table) - summary["abstained"], "refused": 0}


def tag_frame(predictor: StepPredictor, events: pd.DataFrame | AlignedEvents,
              threshold: float | None) -> TaggedEvents:
    """The events with the prediction columns appended. A plain frame is aligned here (CLI
    and benchmarks); the API's doors align once and pass `AlignedEvents`. An input column
    named like an output (a labelled file's `step_name`) is kept; the output is then
    `sift_<name>`, and `columns` maps each output to the name it got."""
    aligned = events if isinstance(events, AlignedEvents) else predictor.align(events)
    result = predictor.predict(aligned, threshold)
    outputs: dict[str, Any] = {c: result.frame[c].to_numpy() for c in OUTPUT_COLUMNS}
    outputs["model_version"] = predictor.version
    table = aligned.table
    out, renamed = append_columns(table, outputs)
    columns = dict(zip(outputs, [str(c) for c in out.columns[len(table.columns):]],
                       strict=True))
    return TaggedEvents(out, aligned, result, columns, (*result.warnings, *renamed))
