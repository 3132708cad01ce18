"""Glue used by the API, the CLI and the benchmark: load a version, tag a table."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backend.core.config import Settings
from backend.embedding.embedder import MINILM_NAME, CachedEmbedder, Embedder
from backend.embedding.service import build_embedder, minilm
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
                                 settings.ENCODER_CACHE_DIR, settings.EMBED_QUANTIZED),
                          settings.EMBED_CACHE_SIZE)


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
    return _tagged(aligned, predictor.predict(aligned, threshold))


def _tagged(events: AlignedEvents, result: StepPredictions) -> TaggedEvents:
    """The events as sent with the output columns appended (the one clash policy)."""
    outputs: dict[str, Any] = {c: result.frame[c].to_numpy() for c in OUTPUT_COLUMNS}
    outputs["model_version"] = result.model_version
    table = events.table
    out, renamed = append_columns(table, outputs)
    columns = dict(zip(outputs, [str(c) for c in out.columns[len(table.columns):]],
                       strict=True))
    return TaggedEvents(out, events, result, columns, (*result.warnings, *renamed))


def session_chunks(events: AlignedEvents, session: str, max_rows: int) -> list[np.ndarray]:
    """Row positions in slices of about `max_rows` events that never split a session (the
    tagger reads a session as a whole), in order of each session's first event."""
    codes = pd.factorize(events.frame[session])[0]
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes)) if len(codes) else np.zeros(0, np.int64)
    slices, start, last = [], 0, 0
    for end in bounds:
        if end - start >= max_rows:
            slices.append(order[start:end])
            start = int(end)
        last = int(end)
    if last > start:
        slices.append(order[start:last])
    return slices


def tag_in_chunks(predictor: StepPredictor, events: AlignedEvents, threshold: float | None,
                  max_rows: int, on_chunk: Callable[[int, int], None]) -> TaggedEvents:
    """`tag_frame` over slices of whole sessions, reporting (events done, total) after each:
    the same answer as one pass (sessions are tagged independently), with progress."""
    session = predictor.featurizer.columns.session
    parts = []
    done = 0
    on_chunk(0, len(events))
    for rows in session_chunks(events, session, max_rows):
        part = AlignedEvents(events.frame.iloc[rows], events.added)  # the model's view only
        parts.append(predictor.predict(part, threshold).frame.set_axis(
            events.frame.index[rows]))
        done += len(rows)
        on_chunk(done, len(events))
    frame = pd.concat(parts).loc[events.frame.index] if parts else None
    if frame is None:
        return tag_frame(predictor, events, threshold)
    cut = predictor.threshold if threshold is None else threshold
    return _tagged(events, StepPredictions(frame.reset_index(drop=True), cut,
                                           predictor.version, list(events.warnings)))
