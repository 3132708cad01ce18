"""Loading a labelled event log and splitting it by session (no session in two splits)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from backend.sessions.columns import align_columns
from backend.sessions.config import StepsConfig
from backend.sessions.encoders import as_text
from backend.sessions.eventfile import read_event_file
from backend.sessions.features import Events, prepare_events


@dataclass
class Splits:
    train: Events
    val: Events
    test: Events
    labels: list[str]


def read_events(path: Path) -> pd.DataFrame:
    """CSV or XES (.xes, .xes.gz) with blanks kept as NaN (the encoders map them to
    'missing')."""
    return read_event_file(path)


def data_hash(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return "sha256:" + digest.hexdigest()


def _subset(events: Events, sessions: np.ndarray) -> Events:
    rows = np.concatenate([np.arange(events.offsets[k], events.offsets[k + 1])
                           for k in sessions]) if len(sessions) else np.zeros(0, np.int64)
    lengths = events.offsets[sessions + 1] - events.offsets[sessions]
    return Events(events.frame.iloc[rows].reset_index(drop=True), events.order[rows],
                  np.r_[0, np.cumsum(lengths)].astype(np.int64), events.seconds[rows])


def split_sessions(frame: pd.DataFrame, config: StepsConfig) -> Splits:
    """Seeded split by session into train / val / test."""
    cols = config.columns
    frame = align_columns(frame, [*cols.required, *cols.features, cols.label], []).frame
    events = prepare_events(frame, cols, require=[*cols.features, cols.label])
    labels_text = as_text(events.frame[cols.label])
    if (labels_text == "").any():
        n = int((labels_text == "").sum())
        raise ValueError(f"label column '{cols.label}' is empty in {n} row(s); "
                         "label every training event")
    n_sessions = len(events.offsets) - 1
    if n_sessions < 3:
        raise ValueError(f"need at least 3 sessions to split train/val/test, got {n_sessions}")
    perm = np.random.default_rng(config.seed).permutation(n_sessions)
    n_test = max(1, round(n_sessions * config.training.test_fraction))
    n_val = max(1, round(n_sessions * config.training.val_fraction))
    test, val, train = perm[:n_test], perm[n_test:n_test + n_val], perm[n_test + n_val:]
    labels = sorted(labels_text.unique().tolist())
    train_set, val_set, test_set = (_subset(events, np.sort(s)) for s in (train, val, test))
    return Splits(train_set, val_set, test_set, labels)


def label_ids(events: Events, column: str, labels: list[str], ignore_index: int) -> np.ndarray:
    """Label per event (+ the padding row); labels unseen in training are ignored."""
    codes = pd.Index(labels).get_indexer(as_text(events.frame[column]))
    codes = np.where(codes < 0, ignore_index, codes)
    return np.r_[codes, ignore_index].astype(np.int64)
