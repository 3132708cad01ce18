"""Start-up resolution and run-time switching through the real app (in-process).

The app factory, lifespan, ModelManager, MirroredModelStore and the real
huggingface_hub client all run; only the Hub is the local double.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.embedding.embedder import Embedder
from backend.registry.hub import HubModelStore
from backend.registry.local import LocalModelStore
from backend.registry.mirror import MirroredModelStore
from tests.registry.conftest import HUB_TOKEN, NAMESPACE, serving_settings
from tests.registry.hub_double import HubDouble
from tests.utils.factories import LOG_MODEL

ADMIN = {"Authorization": "Bearer admin-token-0123456789"}
REPO = f"{NAMESPACE}/sift-{LOG_MODEL}"
LOGS = {"logs": [{"source": "BillingSystem",
                  "log_message": "Multiple login failures occurred on user 6454 account"}]}


@pytest.fixture(autouse=True)
def _warm_embedder(embedder: Embedder) -> None:
    """Load MiniLM once per session; the app's loader reuses the same instance."""


@contextmanager
def service(root: Path, hub: HubDouble, **overrides: Any) -> Iterator[TestClient]:
    settings = serving_settings(root, hub, API_TOKEN="admin-token-0123456789", **overrides)
    with TestClient(create_app(settings, load_in_background=False)) as client:
        yield client


def log_model(client: TestClient) -> dict[str, Any]:
    models = client.get("/v1/models").json()["models"]
    return next(m for m in models if m["name"] == LOG_MODEL)


def pull(root: Path, hub: HubDouble, version: str) -> None:
    remote = HubModelStore(NAMESPACE, HUB_TOKEN, hub.url, cache_dir=root / ".hub-cache")
    MirroredModelStore(LocalModelStore(root / "models"), remote).pull(LOG_MODEL, version)


def test_start_pinned_pulls_that_version_only(published: HubModelStore, hub: HubDouble,
                                              tmp_path: Path) -> None:
    with service(tmp_path, hub, LOG_MODEL_VERSION="v1") as client:
        model = log_model(client)
        assert model["active_version"] == "v1"
        assert [v["version"] for v in model["versions"]] == ["v1"]
        assert model["remote"] == {"repo_id": REPO, "endpoint": hub.url,
                                   "status": "reachable", "versions": ["v1", "v2"]}
        assert client.post("/v1/logs/classify", json=LOGS).json()["model_version"] == "v1"


def test_start_latest_serves_the_highest_hub_tag(published: HubModelStore, hub: HubDouble,
                                                 tmp_path: Path) -> None:
    pull(tmp_path, hub, "v1")
    with service(tmp_path, hub) as client:
        assert log_model(client)["active_version"] == "v2"


def test_hub_down_at_start_serves_newest_local_version(
        published: HubModelStore, hub: HubDouble, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    pull(tmp_path, hub, "v1")
    hub.stop()
    with caplog.at_level(logging.WARNING), \
            service(tmp_path, hub, LOG_MODEL_VERSION="v2") as client:
        ready = client.get("/ready")
        assert ready.status_code == 200 and ready.json()["ready"] is True
        model = log_model(client)
        assert model["active_version"] == "v1"
        assert model["remote"]["status"].startswith("unreachable: cannot connect to ")
        assert client.post("/v1/logs/classify", json=LOGS).json()["model_version"] == "v1"
        r = client.post(f"/v1/models/{LOG_MODEL}/activate", json={"version": "v2"},
                        headers=ADMIN)
        assert r.status_code == 503 and "previous version stays active" in r.json()["detail"]
    assert any("serving the newest local version" in m for m in caplog.messages)


def test_missing_token_serves_local_and_never_calls_the_hub(
        published: HubModelStore, hub: HubDouble, tmp_path: Path) -> None:
    pull(tmp_path, hub, "v1")
    hub.requests.clear()
    with service(tmp_path, hub, HF_TOKEN=None) as client:
        model = log_model(client)
        assert model["active_version"] == "v1"
        assert model["remote"]["status"] == "unreachable: HF_TOKEN is not set"
    assert hub.requests == []


def test_wrong_token_serves_local_and_says_why(published: HubModelStore, hub: HubDouble,
                                               tmp_path: Path) -> None:
    pull(tmp_path, hub, "v1")
    with service(tmp_path, hub, HF_TOKEN="hf_revoked") as client:
        model = log_model(client)
        assert model["active_version"] == "v1"
        assert "refused the token (HTTP 401)" in model["remote"]["status"]


def test_tampered_version_is_refused_and_the_old_one_keeps_serving(
        published: HubModelStore, hub: HubDouble, tmp_path: Path) -> None:
    hub.tamper(REPO, "v2", "examples.npz", b"PK\x03\x04 not the examples we hashed")
    with service(tmp_path, hub, LOG_MODEL_VERSION="v1") as client:
        r = client.post(f"/v1/models/{LOG_MODEL}/activate", json={"version": "v2"},
                        headers=ADMIN)
        assert r.status_code == 409
        assert r.headers["content-type"] == "application/problem+json"
        detail = r.json()["detail"]
        assert "failed verification" in detail and "examples.npz" in detail
        assert "previous version stays active" in detail
        assert log_model(client)["active_version"] == "v1"
        assert client.post("/v1/logs/classify", json=LOGS).json()["model_version"] == "v1"
    assert LocalModelStore(tmp_path / "models").versions(LOG_MODEL) == ["v1"]


@pytest.mark.parametrize(("version", "status"), [("v9", 404), ("banana", 422)])
def test_activating_a_version_that_cannot_exist_is_a_4xx(
        published: HubModelStore, hub: HubDouble, tmp_path: Path, version: str,
        status: int) -> None:
    with service(tmp_path, hub, LOG_MODEL_VERSION="v1") as client:
        r = client.post(f"/v1/models/{LOG_MODEL}/activate", json={"version": version},
                        headers=ADMIN)
        assert r.status_code == status, r.text
        assert log_model(client)["active_version"] == "v1"


def test_pin_to_a_tag_that_exists_nowhere_is_not_ready_and_says_why(
        published: HubModelStore, hub: HubDouble, tmp_path: Path) -> None:
    pull(tmp_path, hub, "v1")
    with service(tmp_path, hub, LOG_MODEL_VERSION="v9") as client:
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert "v9" in ready.json()["models"][LOG_MODEL]["error"]
        assert log_model(client)["active_version"] is None


def test_without_hf_namespace_no_remote_is_reported(published: HubModelStore,
                                                    hub: HubDouble, tmp_path: Path) -> None:
    pull(tmp_path, hub, "v1")
    hub.requests.clear()
    with service(tmp_path, hub, HF_NAMESPACE=None) as client:
        model = log_model(client)
        assert model["active_version"] == "v1" and model["remote"] is None
    assert hub.requests == []
