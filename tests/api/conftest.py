"""API fixtures: one app over the repo's models/ for the session, small apps per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.embedding.embedder import Embedder
from tests.utils.factories import REPO_MODELS, make_settings

TOKEN = "test-token-0123456789"


@pytest.fixture(scope="session")
def client(default_model_dir: Path, embedder: Embedder) -> Iterator[TestClient]:
    """The app as shipped: the default model from models/, loaded before the first request."""
    settings = make_settings(REPO_MODELS, API_TOKEN=TOKEN, RATE_LIMIT="off")
    with TestClient(create_app(settings, load_in_background=False)) as test_client:
        yield test_client
