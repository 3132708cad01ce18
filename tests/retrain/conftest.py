"""A small real log-classifier v1 per test session, copied into a fresh registry per test.

v1 is built by the same code as a retrain with no feedback (generator rows,
template-grouped split, MiniLM -> LR head), so a later retrain with no
harmful feedback reproduces its held-out figures exactly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backend.embedding.service import build_embedder
from backend.registry.local import LocalModelStore
from tests.utils.factories import make_settings
from training.logs.retrain import publish_base

LOG_MODEL = "log-classifier"
LOG_ROWS = 600  # small on purpose: the retrain regenerates and re-embeds these rows
TOKEN = "retrain-test-token-0123456789"


@pytest.fixture(scope="session")
def log_registry_v1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("log-models")
    settings = make_settings(root)
    publish_base(settings, LocalModelStore(root), LOG_MODEL, build_embedder(settings), LOG_ROWS)
    return root


@pytest.fixture
def log_models(tmp_path: Path, log_registry_v1: Path) -> Path:
    """A private copy of the v1 registry (the test publishes into it)."""
    target = tmp_path / "models"
    shutil.copytree(log_registry_v1, target)
    return target
