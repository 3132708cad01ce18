"""Session-wide fixtures: the MiniLM embedder and a tiny model are built once."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from backend.embedding.embedder import Embedder  # noqa: E402
from backend.embedding.service import build_embedder  # noqa: E402
from backend.feedback.store import FeedbackStore  # noqa: E402
from backend.logs.model import LogModel  # noqa: E402
from backend.registry.local import LocalModelStore  # noqa: E402
from backend.registry.manifest import sha256_file  # noqa: E402
from tests.tasks.services import ServiceUnavailable, postgres_server  # noqa: E402
from tests.utils.auth import WRITER_HEADERS  # noqa: E402
from tests.utils.factories import (  # noqa: E402
    LOG_MODEL,
    REPO_MODELS,
    build_tiny_model,
    make_settings,
    publish_tiny,
)
from tests.utils.llm_doubles import GeminiDouble, OpenAIDouble  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with slow tests run first. `pytest -n 2 --dist loadscope` hands whole modules
    out in collection order, so a long module collected last keeps one worker busy while
    the other idles; started first, the short ones fill in around it."""
    slow_files = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow_files)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The process-wide MiniLM (the app factory reuses the same instance)."""
    return build_embedder(make_settings())


@pytest.fixture(scope="session")
def tiny_model(embedder: Embedder) -> LogModel:
    return build_tiny_model(embedder)


@pytest.fixture
def tiny_store(tmp_path: Path, tiny_model: LogModel) -> LocalModelStore:
    """A registry with two versions (v1, v2) of the tiny model."""
    store = LocalModelStore(tmp_path / "models")
    publish_tiny(store, tiny_model, accuracy=0.5)
    publish_tiny(store, tiny_model, accuracy=0.6)
    return store


@pytest.fixture(scope="session")
def default_model_dir() -> Path:
    """The default model trained into models/; skips when it has not been trained yet."""
    store = LocalModelStore(REPO_MODELS)
    if not store.versions(LOG_MODEL):
        pytest.skip("no default model in models/; run `make models` first")
    return store.path(LOG_MODEL, store.resolve(LOG_MODEL))


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server (Debian's package) for one test module; skipped where none
    can start."""
    try:
        with postgres_server() as url:
            yield url
    except ServiceUnavailable as exc:
        pytest.skip(f"PostgreSQL cannot start here: {exc}")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A feedback-store URL: a SQLite file in a folder not made yet, or the module's
    PostgreSQL server, left with an empty schema for the next test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sub' / 'feedback.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    store = FeedbackStore(url)
    with store.engine.begin() as conn:
        tables = ", ".join(inspect(conn).get_table_names())  # every branch's tables
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {tables} CASCADE")
    store.close()


@pytest.fixture
def writer_headers() -> dict[str, str]:
    """Authorization for POST /v1/feedback on an app built with `writer_settings()`."""
    return dict(WRITER_HEADERS)


@pytest.fixture
def gemini_double() -> Iterator[GeminiDouble]:
    with GeminiDouble() as double:
        yield double


@pytest.fixture
def openai_double() -> Iterator[OpenAIDouble]:
    with OpenAIDouble() as double:
        yield double


def _registry_snapshot() -> dict[str, str]:
    return {p.relative_to(REPO_MODELS).as_posix(): sha256_file(p)
            for p in sorted(REPO_MODELS.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session", autouse=True)
def repo_models_untouched() -> Iterator[None]:
    """No test may publish into, or alter, the repository's shipped models."""
    before = _registry_snapshot()
    yield
    after = _registry_snapshot()
    changed = sorted(set(before) ^ set(after)) + sorted(
        k for k in set(before) & set(after) if before[k] != after[k])
    assert not changed, f"tests changed the repository's models/: {changed[:10]}"


@pytest.fixture(autouse=True)
def _restore_main_module() -> Iterator[None]:
    """Streamlit's AppTest leaves the page it ran as `sys.modules["__main__"]`; a later test in
    the same process that spawns workers (the bulk engine) would re-run that page in every
    child. Put the real `__main__` back after each test."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main
