"""Apps over the repo's default models with pipeline settings, and a downstream receiver."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.embedding.embedder import Embedder
from tests.utils.factories import REPO_MODELS, make_settings
from tests.utils.otlp_double import OTLPReceiverDouble

AppFactory = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture
def make_client(default_model_dir: Path, embedder: Embedder) -> AppFactory:
    """`with make_client(**settings) as client:` an app serving the default log model."""

    @contextmanager
    def build(**overrides: Any) -> Iterator[TestClient]:
        settings = make_settings(REPO_MODELS, **{"RATE_LIMIT": "off", **overrides})
        with TestClient(create_app(settings, load_in_background=False)) as client:
            yield client

    return build


@pytest.fixture
def downstream() -> Iterator[OTLPReceiverDouble]:
    with OTLPReceiverDouble() as double:
        yield double
