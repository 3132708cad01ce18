"""Health, readiness, the model list and run-time activation (tiny models in a tmp registry)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.embedding.embedder import Embedder
from backend.logs.model import LogModel
from backend.registry.local import LocalModelStore
from tests.api.conftest import TOKEN
from tests.utils.factories import LOG_MODEL, make_settings, publish_tiny
from tests.utils.http import assert_problem

AUTH = {"Authorization": f"Bearer {TOKEN}"}
LEGACY = {"logs": [{"source": "LegacyCRM", "log_message": "Case escalation for ticket 1 failed."},
                   {"source": "ModernCRM", "log_message": "User a logged in."}]}


@contextmanager
def _app(root: Path, **overrides: object) -> Iterator[TestClient]:
    settings = make_settings(root, API_TOKEN=TOKEN, RATE_LIMIT="off", **overrides)
    with TestClient(create_app(settings, load_in_background=False)) as client:
        yield client




def test_health_is_ok_without_a_model(tmp_path: Path, embedder: Embedder) -> None:
    with _app(tmp_path / "empty") as client:
        response = client.get("/health")
        assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_is_503_without_model_and_200_after_activation(
        tmp_path: Path, embedder: Embedder, tiny_model: LogModel) -> None:
    root = tmp_path / "models"
    with _app(root) as client:
        response = client.get("/ready")
        assert response.status_code == 503
        status = response.json()["models"][LOG_MODEL]
        assert status["ready"] is False and "no versions" in status["error"]
        assert_problem(client.post("/v1/logs/classify", json=LEGACY), 503, "/ready")

        publish_tiny(LocalModelStore(root), tiny_model)
        activated = client.post(f"/v1/models/{LOG_MODEL}/activate", json={"version": "latest"},
                                headers=AUTH)
        assert activated.status_code == 200, activated.text
        assert activated.json()["active_version"] == "v1"
        ready = client.get("/ready")
        assert ready.status_code == 200
        assert ready.json() == {"ready": True, "models": {LOG_MODEL: {"ready": True,
                                                                      "version": "v1"}}}
        body = client.post("/v1/logs/classify", json=LEGACY).json()
        assert [p["tier"] for p in body["predictions"]] == ["llm", "rules"]


def test_models_list_shows_versions_metrics_and_active(tiny_store: LocalModelStore) -> None:
    with _app(tiny_store.root) as client:
        response = client.get("/v1/models")
        assert response.status_code == 200
        (model,) = [m for m in response.json()["models"] if m["name"] == LOG_MODEL]
        assert model["active_version"] == "v2" and model["status"] == "serving"
        assert [v["version"] for v in model["versions"]] == ["v1", "v2"]
        assert [v["metrics"]["accuracy"] for v in model["versions"]] == [0.5, 0.6]
        assert "Workflow Error" in model["versions"][0]["labels"]


def test_pinned_version_is_served(tiny_store: LocalModelStore) -> None:
    with _app(tiny_store.root, LOG_MODEL_VERSION="v1") as client:
        assert client.get("/ready").json()["models"][LOG_MODEL]["version"] == "v1"
        body = client.post("/v1/logs/classify", json=LEGACY).json()
        assert body["model_version"] == "v1"


def test_activate_needs_a_token(tiny_store: LocalModelStore) -> None:
    with _app(tiny_store.root) as client:
        url = f"/v1/models/{LOG_MODEL}/activate"
        response = client.post(url, json={"version": "v1"})
        assert_problem(response, 401, "Authorization: Bearer")
        assert response.headers["www-authenticate"] == "Bearer"
        assert_problem(client.post(url, json={"version": "v1"},
                                   headers={"Authorization": "Bearer wrong"}), 403, "not valid")
        assert client.get("/v1/models").json()["models"][0]["active_version"] == "v2"


def test_activate_is_closed_when_server_has_no_token(tiny_store: LocalModelStore) -> None:
    settings = make_settings(tiny_store.root, RATE_LIMIT="off")
    with TestClient(create_app(settings, load_in_background=False)) as client:
        assert_problem(client.post(f"/v1/models/{LOG_MODEL}/activate", json={"version": "v1"},
                                   headers=AUTH), 403, "API_TOKEN")


def test_activate_unknown_version_or_model_is_404(tiny_store: LocalModelStore) -> None:
    with _app(tiny_store.root) as client:
        assert_problem(client.post(f"/v1/models/{LOG_MODEL}/activate", json={"version": "v9"},
                                   headers=AUTH), 404, "v9", "available: v1, v2")
        assert_problem(client.post("/v1/models/nope/activate", json={"version": "v1"},
                                   headers=AUTH), 404, "nope")
        assert client.get("/ready").json()["models"][LOG_MODEL]["version"] == "v2"


def test_activate_switches_the_served_version(tiny_store: LocalModelStore) -> None:
    with _app(tiny_store.root) as client:
        assert client.post("/v1/logs/classify", json=LEGACY).json()["model_version"] == "v2"
        response = client.post(f"/v1/models/{LOG_MODEL}/activate", json={"version": "v1"},
                               headers=AUTH)
        assert response.status_code == 200
        assert response.json()["active_version"] == "v1"
        body = client.post("/v1/logs/classify", json=LEGACY).json()
        assert body["model_version"] == "v1"
        assert {p["model_version"] for p in body["predictions"]} == {"v1"}


def test_activate_tampered_version_is_409_and_keeps_the_old_one(
        tiny_store: LocalModelStore) -> None:
    with _app(tiny_store.root) as client:
        (tiny_store.path(LOG_MODEL, "v1") / "head.json").write_text("{}")
        assert_problem(client.post(f"/v1/models/{LOG_MODEL}/activate", json={"version": "v1"},
                                   headers=AUTH), 409, "head.json", "previous version stays")
        assert client.get("/ready").json()["models"][LOG_MODEL]["version"] == "v2"


def test_tampered_latest_is_not_served_at_start(tiny_store: LocalModelStore) -> None:
    (tiny_store.path(LOG_MODEL, "v2") / "examples.npz").write_bytes(b"not the real bytes")
    with _app(tiny_store.root) as client:
        response = client.get("/ready")
        assert response.status_code == 503
        assert "examples.npz" in response.json()["models"][LOG_MODEL]["error"]
