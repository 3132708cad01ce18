"""Step-tagger fixtures: a small generated log and a tiny model trained on it for real."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from backend.embedding.embedder import Embedder
from backend.registry.local import LocalModelStore
from backend.registry.manifest import Manifest
from backend.sessions.config import StepsConfig, parse_config
from backend.sessions.predictor import StepPredictor
from training.steps.data import Splits, split_sessions
from training.steps.generator import generate_sessions
from training.steps.trainer import StepTrainer


def tiny_config(**model: object) -> StepsConfig:
    """Small dims and one epoch: enough to exercise every path in seconds."""
    return parse_config({
        "model": {"lstm_hidden": 16, "lstm_layers": 1, "d_model": 32, "n_heads": 2,
                  "n_layers": 1, "ff_dim": 32, "max_len": 64, **model},
        "features": {"event_emb_dim": 8, "cat_emb_dim": 4, "text_dim": 4},
        "training": {"epochs": 1, "batch_size": 16},
        "evaluation": {"threshold": 0.5},
        "hpo": {"trials": 2, "epochs": 1},
    })


@pytest.fixture(scope="session")
def events() -> pd.DataFrame:
    return generate_sessions(40, seed=7)


@pytest.fixture(scope="session")
def splits(events: pd.DataFrame) -> Splits:
    return split_sessions(events, tiny_config())


@pytest.fixture(scope="session")
def predictor(splits: Splits, embedder: Embedder) -> StepPredictor:
    return StepTrainer(tiny_config(), embedder, progress=False).fit(splits).predictor


def publish(store_root: Path, predictor: StepPredictor) -> LocalModelStore:
    """Put the tiny model into a registry as step-tagger v1."""
    store = LocalModelStore(store_root)
    with store.staging("step-tagger") as staged:
        predictor.save_pretrained(staged)
        store.publish(staged, Manifest(name="step-tagger", kind="step-tagger",
                                       labels=predictor.labels))
    return store
