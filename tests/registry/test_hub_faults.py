"""Hub faults the double injects: 429 + Retry-After, truncated downloads, non-JSON answers.

The real huggingface_hub client, HubModelStore, MirroredModelStore and (for the
service tests) the app with its ModelManager run; only the Hub is the local double.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from backend.embedding.embedder import Embedder
from backend.registry.base import RemoteUnavailableError
from backend.registry.hub import HubModelStore
from backend.registry.local import LocalModelStore
from backend.registry.mirror import MirroredModelStore
from tests.registry.conftest import HUB_TOKEN, NAMESPACE
from tests.registry.hub_double import HubDouble
from tests.registry.test_service_registry import ADMIN, LOGS, log_model, pull, service
from tests.utils.factories import LOG_MODEL

TRUNCATED_BOUND_S = 15.0  # huggingface_hub resumes a broken download 5 times, 1 s apart


@pytest.fixture(autouse=True)
def _warm_embedder(embedder: Embedder) -> None:
    """Load MiniLM once per session; the app's loader reuses the same instance."""


def reader(hub: HubDouble, cache: Path, max_retries: int = 2) -> HubModelStore:
    return HubModelStore(NAMESPACE, HUB_TOKEN, hub.url, cache_dir=cache,
                         max_retries=max_retries)


def calls(hub: HubDouble, part: str, method: str = "GET") -> int:
    return sum(1 for m, path in hub.requests if m == method and part in path)


def staging_left(root: Path) -> list[Path]:
    return list(root.rglob(".staging-*")) if root.exists() else []


def thread_count() -> int:
    """Live threads, not counting tqdm's progress monitor (huggingface_hub's download bars
    start it; one per process, it stops by itself 10 s after the last bar)."""
    return sum(1 for t in threading.enumerate() if t.name != "tqdm_monitor")


def threads_settle(baseline: int, within_s: float = 3.0) -> int:
    """The lowest thread count seen while handler threads of closed connections wind down."""
    deadline, count = time.monotonic() + within_s, thread_count()
    while count > baseline and time.monotonic() < deadline:
        time.sleep(0.1)
        count = min(count, thread_count())
    return count


# --- 429 with Retry-After --------------------------------------------------------------
def test_429_is_retried_after_its_retry_after_then_succeeds(
        published: HubModelStore, hub: HubDouble, tmp_path: Path) -> None:
    store = reader(hub, tmp_path / "cache")
    hub.requests.clear()
    hub.inject("429", times=1, path="/refs", retry_after_s=1)
    started = time.monotonic()
    assert store.versions(LOG_MODEL) == ["v1", "v2"]
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 2.5, elapsed
    assert calls(hub, "/refs") == 2
    assert store.status() == "reachable"


def test_persistent_429_gives_up_after_bounded_retries(
        published: HubModelStore, hub: HubDouble, tmp_path: Path) -> None:
    store = reader(hub, tmp_path / "cache", max_retries=2)
    hub.requests.clear()
    hub.inject("429", path="/refs", retry_after_s=1)
    started = time.monotonic()
    with pytest.raises(RemoteUnavailableError, match="still answered HTTP 429 after 3 attempts"):
        store.versions(LOG_MODEL)
    elapsed = time.monotonic() - started
    assert 2.0 <= elapsed < 4.0, elapsed  # two waits of Retry-After, then no more
    assert calls(hub, "/refs") == 3
    assert store.status().startswith("unreachable: ") and "HTTP 429" in store.status()
    hub.clear_faults()
    assert store.versions(LOG_MODEL) == ["v1", "v2"] and store.status() == "reachable"


def test_retry_after_longer_than_the_timeout_is_not_waited_for(
        published: HubModelStore, hub: HubDouble, tmp_path: Path) -> None:
    store = reader(hub, tmp_path / "cache")
    hub.requests.clear()
    hub.inject("429", path="/refs", retry_after_s=3600)
    started = time.monotonic()
    with pytest.raises(RemoteUnavailableError,
                       match=r"HTTP 429 \(Retry-After 3600 s, longer than HF_TIMEOUT_S\)"):
        store.versions(LOG_MODEL)
    assert time.monotonic() - started < 1.0
    assert calls(hub, "/refs") == 1


def test_persistent_429_at_start_serves_the_local_version(
        published: HubModelStore, hub: HubDouble, tmp_path: Path) -> None:
    pull(tmp_path, hub, "v1")
    baseline = thread_count()
    hub.inject("429", retry_after_s=1)  # every request
    started = time.monotonic()
    with service(tmp_path, hub, HF_MAX_RETRIES=1) as client:
        assert client.get("/ready").json()["ready"] is True
        model = log_model(client)
        assert model["active_version"] == "v1"
        assert "still answered HTTP 429 after 2 attempts" in model["remote"]["status"]
        assert client.post("/v1/logs/classify", json=LOGS).json()["model_version"] == "v1"
    assert time.monotonic() - started < 10.0
    assert threads_settle(baseline) <= baseline, [t.name for t in threading.enumerate()]


# --- truncated downloads ---------------------------------------------------------------
def test_one_truncated_download_is_resumed_and_verified(
        published: HubModelStore, hub: HubDouble, tmp_path: Path) -> None:
    mirror = MirroredModelStore(LocalModelStore(tmp_path / "models"),
                                reader(hub, tmp_path / "cache"))
    hub.requests.clear()
    hub.inject("truncate", times=1, path="examples.npz")
    assert mirror.pull(LOG_MODEL, "v2").version == "v2"
    assert calls(hub, "examples.npz") == 2  # the broken answer, then a whole one
    assert mirror.local.open(LOG_MODEL, "v2")[1].version == "v2"  # sha256 re-verified


def test_truncated_download_is_never_installed(
        published: HubModelStore, hub: HubDouble, tmp_path: Path) -> None:
    root = tmp_path / "models"
    mirror = MirroredModelStore(LocalModelStore(root), reader(hub, tmp_path / "cache"))
    hub.inject("truncate", path="examples.npz")
    started = time.monotonic()
    with pytest.raises(RemoteUnavailableError,
                       match=r"broke off: .*received \d+ bytes, expected \d+"):
        mirror.pull(LOG_MODEL, "v2")
    assert time.monotonic() - started < TRUNCATED_BOUND_S
    assert mirror.local.versions(LOG_MODEL) == [] and staging_left(root) == []
    hub.clear_faults()
    assert mirror.pull(LOG_MODEL, "v2").version == "v2"
    assert mirror.local.versions(LOG_MODEL) == ["v2"]


def test_truncated_version_is_not_activated_and_a_retry_succeeds(
        published: HubModelStore, hub: HubDouble, tmp_path: Path) -> None:
    baseline = thread_count()
    with service(tmp_path, hub, LOG_MODEL_VERSION="v1") as client:
        # v2 shares its weights with v1 (already in the download cache); its manifest differs
        hub.inject("truncate", path="manifest.json")
        started = time.monotonic()
        r = client.post(f"/v1/models/{LOG_MODEL}/activate", json={"version": "v2"},
                        headers=ADMIN)
        assert time.monotonic() - started < TRUNCATED_BOUND_S
        assert r.status_code == 503, r.text
        assert "broke off" in r.json()["detail"]
        assert "previous version stays active" in r.json()["detail"]
        assert log_model(client)["active_version"] == "v1"
        assert client.post("/v1/logs/classify", json=LOGS).json()["model_version"] == "v1"
        assert LocalModelStore(tmp_path / "models").versions(LOG_MODEL) == ["v1"]
        assert staging_left(tmp_path / "models") == []

        hub.clear_faults()
        r = client.post(f"/v1/models/{LOG_MODEL}/activate", json={"version": "v2"},
                        headers=ADMIN)
        assert r.status_code == 200, r.text
        assert log_model(client)["active_version"] == "v2"
    assert LocalModelStore(tmp_path / "models").versions(LOG_MODEL) == ["v1", "v2"]
    assert threads_settle(baseline) <= baseline, [t.name for t in threading.enumerate()]


# --- non-JSON answers ------------------------------------------------------------------
@pytest.mark.parametrize(("path", "call"), [
    ("/refs", lambda store: store.versions(LOG_MODEL)),
    ("/api/models", lambda store: store.names()),
])
def test_html_instead_of_json_is_a_clear_error(
        published: HubModelStore, hub: HubDouble, tmp_path: Path, path: str,
        call: object) -> None:
    store = reader(hub, tmp_path / "cache")
    hub.inject("html", path=path)
    started = time.monotonic()
    with pytest.raises(RemoteUnavailableError, match="answered with something that is not JSON"):
        call(store)  # type: ignore[operator]
    assert time.monotonic() - started < 2.0
    assert "not JSON" in store.status()
    hub.clear_faults()
    call(store)  # type: ignore[operator]
    assert store.status() == "reachable"


def test_html_refs_at_start_serves_the_local_version(
        published: HubModelStore, hub: HubDouble, tmp_path: Path) -> None:
    pull(tmp_path, hub, "v1")
    baseline = thread_count()
    hub.inject("html", path="/refs")
    with service(tmp_path, hub) as client:
        assert client.get("/ready").json()["ready"] is True
        started = time.monotonic()
        model = log_model(client)
        assert time.monotonic() - started < 2.0
        assert model["active_version"] == "v1"
        assert model["remote"]["versions"] == []
        assert "not JSON" in model["remote"]["status"]
        assert client.post("/v1/logs/classify", json=LOGS).json()["model_version"] == "v1"
    assert threads_settle(baseline) <= baseline, [t.name for t in threading.enumerate()]
