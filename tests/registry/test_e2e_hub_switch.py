"""Done-when, end to end: a real uvicorn process, the real API and the local Hub double.

One service process, pinned to v1, lives through both scenarios:
1. It starts while the Hub is down: it serves its local v1, `/ready` is true and
   `/v1/models` reports the remote as unreachable (activating v2 is a 503).
2. The Hub comes back: v2 is activated at run time (downloaded, verified) and v1
   rolled back, while client threads keep classifying: no request may fail, and
   `model_version` says who answered. A fresh instance pulling its pinned version
   at start is covered in-process in test_service_registry.py.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.registry.hub import HubModelStore
from backend.registry.local import LocalModelStore
from backend.registry.mirror import MirroredModelStore
from bench.server import api_server
from tests.registry.conftest import HUB_TOKEN, NAMESPACE
from tests.registry.hub_double import HubDouble
from tests.utils.factories import LOG_MODEL

pytestmark = pytest.mark.slow

API_TOKEN = "e2e-admin-token-0123456789"
LOGS = {"logs": [
    {"source": "ModernCRM", "log_message": "User User123 logged in."},
    {"source": "BillingSystem", "log_message": "Multiple login failures occurred on user 6454"},
    {"source": "ComputeCloud", "log_message": "CPU usage at 97% on worker 3 for 12 minutes"},
]}


def service_env(root: Path, hub: HubDouble, version: str) -> dict[str, str]:
    return {"MODELS_ROOT": str(root / "models"), "LOG_MODEL_VERSION": version,
            "HF_NAMESPACE": NAMESPACE, "HF_TOKEN": HUB_TOKEN, "HF_ENDPOINT": hub.url,
            "HF_CACHE_DIR": str(root / "hub-cache"), "API_TOKEN": API_TOKEN,
            "LLM_PROVIDER": "offline", "LOG_LEVEL": "WARNING",
            "RATE_LIMIT": "off"}  # the clients below send far more than 600 requests/minute


class Clients:
    """Threads that classify in a loop and record (status, model_version) per request."""

    def __init__(self, url: str, n: int = 3) -> None:
        self.url, self.stop = url, threading.Event()
        self.results: list[list[tuple[int, str]]] = [[] for _ in range(n)]
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(n)]

    def _run(self, i: int) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as client:
            while not self.stop.is_set():
                try:
                    r = client.post("/v1/logs/classify", json=LOGS)
                except httpx.HTTPError as exc:
                    self.errors.append(repr(exc))
                    continue
                body = r.json()
                version = body.get("model_version", "?") if r.status_code == 200 else "?"
                if r.status_code == 200 and {p["model_version"] for p in body["predictions"]} \
                        != {version}:
                    self.errors.append(f"mixed versions in one response: {body}")
                self.results[i].append((r.status_code, version))
                time.sleep(0.01)  # leave the two shared cores some air

    def seen(self) -> list[str]:
        return [v for rows in self.results for _, v in rows]

    def wait_for(self, version: str, timeout_s: float = 60) -> None:
        """Block until some request after now was answered by `version`."""
        start = [len(rows) for rows in self.results]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if any(v == version for rows, s in zip(self.results, start, strict=True)
                   for _, v in rows[s:]):
                return
            time.sleep(0.05)
        raise AssertionError(f"no request was answered by {version}")


def activate(url: str, version: str) -> dict[str, Any]:
    r = httpx.post(f"{url}/v1/models/{LOG_MODEL}/activate", json={"version": version},
                   headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=120)
    assert r.status_code == 200, r.text
    return r.json()


def test_hub_down_at_start_then_switch_and_roll_back_with_no_failed_request(
        published: HubModelStore, hub: HubDouble, tmp_path: Path) -> None:
    root = tmp_path / "service"
    remote = HubModelStore(NAMESPACE, HUB_TOKEN, hub.url, cache_dir=root / "hub-cache")
    MirroredModelStore(LocalModelStore(root / "models"), remote).pull(LOG_MODEL, "v1")
    hub.stop()
    with api_server(service_env(root, hub, "v1")) as url:
        ready = httpx.get(f"{url}/ready")
        assert ready.status_code == 200 and ready.json()["ready"] is True
        model = httpx.get(f"{url}/v1/models").json()["models"][0]
        assert model["active_version"] == "v1"
        assert model["remote"]["status"].startswith("unreachable: cannot connect to ")
        assert model["remote"]["versions"] == []
        r = httpx.post(f"{url}/v1/models/{LOG_MODEL}/activate", json={"version": "v2"},
                       headers={"Authorization": f"Bearer {API_TOKEN}"}, timeout=60)
        assert r.status_code == 503, r.text
        assert "previous version stays active" in r.json()["detail"]

        hub.start()  # the Hub is back, on the same address

        clients = Clients(url)
        for thread in clients.threads:
            thread.start()
        try:
            clients.wait_for("v1")
            assert activate(url, "v2")["active_version"] == "v2"
            clients.wait_for("v2")
            assert activate(url, "v1")["active_version"] == "v1"  # roll back
            clients.wait_for("v1")
        finally:
            clients.stop.set()
            for thread in clients.threads:
                thread.join(timeout=60)

        assert clients.errors == []
        statuses = [s for rows in clients.results for s, _ in rows]
        assert statuses and set(statuses) == {200}, statuses
        assert {"v1", "v2"} <= set(clients.seen())
        for rows in clients.results:  # each client saw v1 ... v2 ... v1, never back and forth
            phases = [v for i, (_, v) in enumerate(rows) if i == 0 or rows[i - 1][1] != v]
            assert phases == ["v1", "v2", "v1"][:len(phases)], phases
        final = httpx.get(f"{url}/v1/models").json()["models"][0]
        assert final["active_version"] == "v1"
        assert [v["version"] for v in final["versions"]] == ["v1", "v2"]
        assert final["remote"]["status"] == "reachable"
        assert final["remote"]["versions"] == ["v1", "v2"]
    assert LocalModelStore(root / "models").versions(LOG_MODEL) == ["v1", "v2"]
