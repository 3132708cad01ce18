"""Event log -> model inputs, shared by training and serving so the two never drift.

`prepare_events` validates and sorts (by session, then timestamp, stable);
`SessionFeaturizer` fits the encoders on training events, saves them as
JSON + npz and turns any later frame into flat arrays plus session offsets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backend.core.errors import BadInputError
from backend.sessions.config import ColumnsConfig, FeaturesConfig
from backend.sessions.encoders import (
    OrdinalEncoder,
    ProjectedEncoder,
    StandardScaler,
    VectorSource,
    as_text,
)
from backend.sessions.images import build_image_encoder

FEATURIZER_FILE = "featurizer.json"
TIME_DELTA = "__seconds_since_previous"


@dataclass
class Events:
    """A validated frame sorted by session and time; `order[i]` is the input row of row i."""

    frame: pd.DataFrame
    order: np.ndarray
    offsets: np.ndarray  # session k spans rows offsets[k]:offsets[k+1]
    seconds: np.ndarray  # timestamps as float seconds


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _rows(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)[:5] + 1
    return ", ".join(str(r) for r in rows) + (" ..." if mask.sum() > 5 else "")


def parse_timestamps(values: pd.Series, column: str) -> np.ndarray:
    """ISO 8601 / any pandas-readable date, or epoch seconds (mixed freely) -> float
    seconds; years 1-9999 (placeholders such as 9999-12-31 included); else 422."""
    text = as_text(values)
    seconds = np.empty(len(text), dtype=np.float64)
    for start in range(0, len(text), _SLICE):
        seconds[start:start + _SLICE] = _seconds(text.iloc[start:start + _SLICE])
    bad = ~np.isfinite(seconds)
    if bad.any():
        example = text[bad].iloc[0]
        raise BadInputError(
            f"Column '{column}' has {int(bad.sum())} value(s) that are not timestamps "
            f"(row(s) {_rows(bad)}; e.g. {example[:80]!r}). Use ISO 8601 such as "
            "2026-01-05T08:00:00Z (years 1-9999) or epoch seconds; the two may be mixed.",
            bad_rows=int(bad.sum()))
    return seconds


# values per pandas call: one to_numeric / to_datetime call holds the interpreter lock
# throughout (300k timestamps: ~0.5 s with nothing else running), which stalls the event
# loop (/ready) meanwhile; between slices other threads get the lock (issue 24)
_SLICE = 16_384


def _seconds(text: pd.Series) -> np.ndarray:
    """One slice of `parse_timestamps`: epoch seconds, else dates, NaN where neither."""
    seconds = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    dates = np.isnan(seconds)
    if dates.any():
        seconds[dates] = _date_seconds(text[dates])
    return seconds


def _date_seconds(text: pd.Series) -> np.ndarray:
    """Dates -> epoch seconds (NaN where unreadable); vectorised, with a per-value path for
    dates outside pandas' nanosecond range (1677-2262)."""
    try:
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
        if parsed.isna().any():
            retry = parsed.isna()
            parsed[retry] = pd.to_datetime(text[retry], errors="coerce", utc=True,
                                           format="mixed")
        return (parsed - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(np.float64)
    except (OverflowError, ValueError):  # OutOfBoundsDatetime is a ValueError
        return np.array([_one_date(v) for v in text], dtype=np.float64)


def _one_date(value: str) -> float:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = pd.Timestamp(value).to_pydatetime()
        except (ValueError, OverflowError, TypeError):
            return float("nan")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH).total_seconds()


def prepare_events(frame: pd.DataFrame, columns: ColumnsConfig,
                   require: list[str] | None = None) -> Events:
    """Check columns and values, then sort stably by (session, timestamp)."""
    needed = [*columns.required, *(require or [])]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise BadInputError(
            f"Missing column(s): {', '.join(repr(c) for c in missing)}. Found: "
            f"{', '.join(repr(str(c)) for c in frame.columns) or 'none'}. The step tagger "
            f"needs {', '.join(needed)}.", missing_columns=missing)
    if frame.empty:
        raise BadInputError("No events: send at least one row (one event).")
    sessions = as_text(frame[columns.session])
    blank = (sessions == "").to_numpy()
    if blank.any():
        raise BadInputError(f"Column '{columns.session}' is empty in {int(blank.sum())} row(s) "
                            f"(row(s) {_rows(blank)}); every event needs a session id.")
    seconds = parse_timestamps(frame[columns.timestamp], columns.timestamp)
    keys = pd.DataFrame({"s": sessions.to_numpy(), "t": seconds})
    order = np.lexsort((seconds, pd.factorize(keys["s"], sort=True)[0]))
    ordered = frame.iloc[order].reset_index(drop=True)
    ordered_sessions = sessions.to_numpy()[order]
    starts = np.flatnonzero(np.r_[True, ordered_sessions[1:] != ordered_sessions[:-1]])
    offsets = np.r_[starts, len(ordered)].astype(np.int64)
    return Events(ordered, order.astype(np.int64), offsets, seconds[order])


@dataclass
class Encoded:
    """Flat per-event arrays (sorted order) with one extra all-zero padding row at the end."""

    events: np.ndarray   # (n+1,) int64
    cats: np.ndarray     # (n+1, C) int64
    dense: np.ndarray    # (n+1, D) float32: scaled numerics, text and image vectors
    offsets: np.ndarray

    @property
    def n(self) -> int:
        return len(self.events) - 1


class SessionFeaturizer:
    """Fitted encoders for every configured column."""

    def __init__(self, columns: ColumnsConfig, features: FeaturesConfig,
                 events: OrdinalEncoder, cats: list[OrdinalEncoder], scaler: StandardScaler,
                 texts: list[ProjectedEncoder], image: ProjectedEncoder | None) -> None:
        self.columns, self.features = columns, features
        self.events, self.cats, self.scaler = events, cats, scaler
        self.texts, self.image = texts, image

    @property
    def numeric_columns(self) -> list[str]:
        return [*self.columns.numeric, *([TIME_DELTA] if self.features.time_delta else [])]

    @property
    def indicator_columns(self) -> list[str]:
        """Columns that get a 0/1 'missing' input (blank numeric -> mean loses the fact)."""
        if not self.features.missing_indicators:
            return []
        return [*self.columns.numeric, *self.columns.text]

    @property
    def dense_dim(self) -> int:
        return (len(self.numeric_columns) + len(self.indicator_columns)
                + sum(t.dim for t in self.texts) + (self.image.dim if self.image else 0))

    def _missing(self, ev: Events, numeric: np.ndarray) -> np.ndarray:
        flags = [np.isnan(numeric[:, i]) for i in range(len(self.columns.numeric))]
        flags += [(as_text(ev.frame[c]) == "").to_numpy() for c in self.columns.text]
        return np.stack(flags, axis=1).astype(np.float32)

    def _numeric(self, ev: Events) -> np.ndarray:
        parts = [pd.to_numeric(ev.frame[c], errors="coerce").to_numpy(np.float64)
                 for c in self.columns.numeric]
        if self.features.time_delta:
            delta = np.diff(ev.seconds, prepend=np.nan)
            delta[ev.offsets[:-1]] = 0.0
            parts.append(np.log1p(np.clip(delta, 0.0, None)))
        return np.stack(parts, axis=1) if parts else np.zeros((len(ev.frame), 0))

    @classmethod
    def fit(cls, ev: Events, columns: ColumnsConfig, features: FeaturesConfig,
            text_source: VectorSource | None) -> SessionFeaturizer:
        frame = ev.frame
        events = OrdinalEncoder.fit(frame[columns.event], features.min_count)
        cats = [OrdinalEncoder.fit(frame[c], features.min_count) for c in columns.categorical]
        if columns.text and text_source is None:
            raise ValueError("text columns are configured but no text embedder was given")
        texts = [ProjectedEncoder.fit(frame[c], text_source, features.text_dim)  # type: ignore[arg-type]
                 for c in columns.text]
        image = None
        if columns.image:
            encoder = build_image_encoder(features.image_encoder, features.image_weights)
            image = ProjectedEncoder.fit(frame[columns.image], encoder, features.image_dim,
                                         key_fn=str)
        draft = cls(columns, features, events, cats, StandardScaler([], []), texts, image)
        draft.scaler = StandardScaler.fit(draft._numeric(ev))
        return draft

    def transform(self, ev: Events) -> Encoded:
        frame = ev.frame
        events = self.events.transform(frame[self.columns.event])
        cats = np.stack([e.transform(frame[c]) for e, c in
                         zip(self.cats, self.columns.categorical, strict=True)], axis=1
                        ) if self.cats else np.zeros((len(frame), 0), np.int64)
        numeric = self._numeric(ev)
        dense = [self.scaler.transform(numeric)]
        if self.indicator_columns:
            dense.append(self._missing(ev, numeric))
        dense += [t.transform(frame[c]) for t, c in zip(self.texts, self.columns.text,
                                                        strict=True)]
        if self.image is not None and self.columns.image:
            dense.append(self.image.transform(frame[self.columns.image]))
        flat = np.concatenate(dense, axis=1).astype(np.float32)
        return Encoded(np.r_[events, 0], np.vstack([cats, np.zeros((1, cats.shape[1]), np.int64)]),
                       np.vstack([flat, np.zeros((1, flat.shape[1]), np.float32)]), ev.offsets)

    def save(self, folder: Path) -> None:
        data: dict[str, Any] = {
            "columns": self.columns.model_dump(mode="json"),
            "features": self.features.model_dump(mode="json"),
            "events": self.events.to_dict(), "cats": [c.to_dict() for c in self.cats],
            "scaler": self.scaler.to_dict(),
        }
        (folder / FEATURIZER_FILE).write_text(json.dumps(data, indent=1), encoding="utf-8")
        for i, text in enumerate(self.texts):
            text.save(folder / f"text_{i}.npz")
        if self.image is not None:
            self.image.save(folder / "image.npz")

    @classmethod
    def load(cls, folder: Path, text_source: VectorSource | None) -> SessionFeaturizer:
        data = json.loads((folder / FEATURIZER_FILE).read_text(encoding="utf-8"))
        data["features"].setdefault("missing_indicators", False)  # saved before the flag
        columns = ColumnsConfig.model_validate(data["columns"])
        features = FeaturesConfig.model_validate(data["features"])
        texts = [ProjectedEncoder.load(folder / f"text_{i}.npz", text_source)
                 for i in range(len(columns.text))]
        image = None
        if columns.image:
            source = build_image_encoder(features.image_encoder, features.image_weights)
            image = ProjectedEncoder.load(folder / "image.npz", source, key_fn=str)
        return cls(columns, features, OrdinalEncoder.from_dict(data["events"]),
                   [OrdinalEncoder.from_dict(c) for c in data["cats"]],
                   StandardScaler.from_dict(data["scaler"]), texts, image)
