"""Fixtures for reliability tests: one real uvicorn server per session, and app factories."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backend.api.main import create_app
from bench.server import api_server
from tests.utils.factories import REPO_MODELS, make_settings

TOKEN = "reliability-test-token-3f9c"


@pytest.fixture(scope="session")
def live_api(default_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[str]:
    """A real server on 127.0.0.1 serving a copy of the default models (a fuzzed retrain
    must never publish into the repository), with its own feedback database; no rate
    limit (fuzzers are fast), a token so that mutating endpoints answer 401/403."""
    tmp = tmp_path_factory.mktemp("live-api")
    shutil.copytree(REPO_MODELS, tmp / "models")
    env = {"RATE_LIMIT": "off", "API_TOKEN": TOKEN, "LOG_LEVEL": "WARNING",
           "MODELS_ROOT": str(tmp / "models"),
           "DATABASE_URL": f"sqlite:///{tmp / 'feedback.db'}"}
    with api_server(env) as url:
        yield url


def build_app(models_root: Path, **overrides: Any) -> FastAPI:
    settings = make_settings(models_root, **overrides)
    return create_app(settings, load_in_background=False)


@pytest.fixture
def client_for(tiny_store: Any) -> Iterator[Any]:
    """`client_for(**settings)` -> a started TestClient over the tiny registry."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        client = TestClient(build_app(tiny_store.root, **overrides))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
