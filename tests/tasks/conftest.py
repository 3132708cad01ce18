"""Task fixtures: one small real task model per session, fresh registries and stores per test.

The model is trained for real (MiniLM embeddings of a few hundred generated
tasks -> the torch head) through the same code as `train-tasks`; the MiniLM
instance is the process-wide one, so it loads once per test session.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.core.config import Settings
from backend.embedding.embedder import Embedder
from backend.registry.local import LocalModelStore
from backend.tasks.service import task_embedder
from tests.utils.factories import make_settings
from training.tasks.retrain import base_frame, examples_frame, fit_candidate, publish
from training.tasks.train import TaskTrainingArguments

TASK_MODEL = "task-categorizer"
TEST_ROWS = 250  # small on purpose: every retrain re-embeds nothing (shared cache)
TOKEN = "task-test-token-0123456789"


@pytest.fixture(scope="session")
def task_embedder_shared() -> Embedder:
    return task_embedder(make_settings())


@pytest.fixture(scope="session")
def task_registry_v1(tmp_path_factory: pytest.TempPathFactory,
                     task_embedder_shared: Embedder) -> Path:
    """A registry root holding task-categorizer v1, trained on TEST_ROWS generated tasks."""
    root = tmp_path_factory.mktemp("task-models")
    args = TaskTrainingArguments(seed=42)
    head, _, metrics = fit_candidate(base_frame(TEST_ROWS, 42), examples_frame([]),
                                     task_embedder_shared, args, 0.7)
    publish(LocalModelStore(root), TASK_MODEL, head, metrics,
            {"base_rows": TEST_ROWS, "seed": 42, "training": args.to_dict()})
    return root


@pytest.fixture
def task_models(tmp_path: Path, task_registry_v1: Path) -> Path:
    """A private copy of the v1 registry (tests may publish into it)."""
    target = tmp_path / "models"
    shutil.copytree(task_registry_v1, target)
    return target


def task_settings(models: Path, db: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "API_TOKEN": TOKEN, "RATE_LIMIT": "off", "WRITE_QUOTA": "off", "LOG_FORMAT": "text",
        "DATABASE_URL": f"sqlite:///{db}", "TASK_TRAIN_ROWS": TEST_ROWS, **overrides}
    return make_settings(models, **values)


@pytest.fixture
def task_client(task_models: Path, tmp_path: Path) -> Iterator[TestClient]:
    """The real app over a task registry and a real SQLite file."""
    settings = task_settings(task_models, tmp_path / "feedback.db")
    with TestClient(create_app(settings, load_in_background=False)) as client:
        yield client
