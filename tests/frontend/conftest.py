"""One real API process for all UI tests (log + task models), and a URL where nothing
listens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils.auth import WRITER_TOKEN
from tests.utils.processes import add_eventlog_model, api_server, free_port, models_root


@pytest.fixture(scope="session")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("api")
    root = models_root(tmp)
    add_eventlog_model(root, tmp)  # two step models to pick from
    with api_server(tmp, root) as url:
        yield url


@pytest.fixture
def live_api(api_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the UI (SIFT_API_URL) at the real API, with the test writer key (feedback)."""
    monkeypatch.setenv("SIFT_API_URL", api_url)
    monkeypatch.setenv("SIFT_WRITER_TOKEN", WRITER_TOKEN)
    return api_url


@pytest.fixture
def dead_api(monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the UI at a port with no server behind it."""
    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("SIFT_API_URL", url)
    return url


@pytest.fixture
def small_logs_csv() -> bytes:
    path = Path(__file__).parent / "data" / "logs_small.csv"
    return path.read_bytes()
