"""Models appear without a restart (issue 29): a model trained or published under a new
name while a real uvicorn API runs is served at once, for all three kinds, and
GET /v1/models lists only models that can be used."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pandas as pd
import pytest

from backend.registry.local import LocalModelStore
from backend.registry.manifest import MANIFEST_FILE, Manifest
from tests.utils.data import shared_file
from tests.utils.processes import EVENTLOG_MODEL, add_eventlog_model, api_server, models_root

ADMIN_TOKEN = "admin-token-for-hot-models-0123"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def publish_copy(root: Path, name: str, new_name: str) -> str:
    """Publish the newest version of `name` again under `new_name` (what `train-logs
    --name` or a colleague's publish leaves in the registry); returns its version."""
    store = LocalModelStore(root)
    source = store.path(name, store.resolve(name))
    manifest = Manifest.read(source)
    with store.staging(new_name) as staged:
        for path in source.rglob("*"):
            if path.is_file() and path.name != MANIFEST_FILE:
                target = staged / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
        published = store.publish(staged, manifest.model_copy(
            update={"name": new_name, "version": "", "files": {}}))
    return published.version


def names(url: str) -> dict[str, dict[str, object]]:
    models = httpx.get(f"{url}/v1/models", timeout=30).json()["models"]
    return {m["name"]: m for m in models}


@pytest.mark.slow
def test_models_trained_or_published_while_the_api_runs_are_served(tmp_path: Path) -> None:
    root = models_root(tmp_path)
    env = {"API_TOKEN": ADMIN_TOKEN, "RATE_LIMIT": "off"}
    with api_server(tmp_path, root, env=env) as url:
        before = names(url)
        assert EVENTLOG_MODEL not in before

        # a step model: `sift train-steps ... --name bpi-2013`, then predict by name
        add_eventlog_model(root, tmp_path, cases=60)
        assert names(url)[EVENTLOG_MODEL]["kind"] == "step-tagger"
        log = pd.read_csv(shared_file("eventlogs/BPI2013_closed.csv"), dtype=str).head(30)
        r = httpx.post(f"{url}/v1/sessions/predict/csv", timeout=120,
                       data={"model": EVENTLOG_MODEL},
                       files={"file": ("bpi.csv", log.to_csv(index=False).encode(), "text/csv")})
        assert r.status_code == 200, r.text[:500]
        assert r.headers["X-Model"] == EVENTLOG_MODEL

        # a log model published under a new name, then activated and used by name
        version = publish_copy(root, "log-classifier", "ops-logs")
        assert names(url)["ops-logs"]["kind"] == "log-classifier"
        r = httpx.post(f"{url}/v1/models/ops-logs/activate", headers=ADMIN, timeout=120,
                       json={"version": version})
        assert r.status_code == 200, r.text[:500]
        assert r.json()["status"] == "serving" and r.json()["active_version"] == version
        r = httpx.post(f"{url}/v1/logs/classify", params={"model": "ops-logs"}, timeout=60,
                       json={"logs": [{"source": "ModernCRM",
                                       "log_message": "User User123 logged in."}]})
        assert r.status_code == 200, r.text[:500]
        assert r.json()["predictions"][0]["label"] == "User Action"

        # a task model published under a new name, then activated
        version = publish_copy(root, "task-categorizer", "tasks-team-b")
        r = httpx.post(f"{url}/v1/models/tasks-team-b/activate", headers=ADMIN, timeout=120,
                       json={"version": version})
        assert r.status_code == 200, r.text[:500]
        assert names(url)["tasks-team-b"]["status"] == "serving"

        # a folder the service cannot serve is not listed; unknown names stay 404
        junk = root / "notes" / "v1"
        junk.mkdir(parents=True)
        (junk / MANIFEST_FILE).write_text(json.dumps({"name": "notes", "version": "v1",
                                                      "kind": "spreadsheet"}))
        assert "notes" not in names(url)
        r = httpx.post(f"{url}/v1/logs/classify", params={"model": "notes"}, timeout=30,
                       json={"logs": [{"source": "a", "log_message": "b"}]})
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")
        r = httpx.post(f"{url}/v1/sessions/predict/csv", timeout=30, data={"model": "nope"},
                       files={"file": ("bpi.csv", log.to_csv(index=False).encode(), "text/csv")})
        assert r.status_code == 404
        assert httpx.get(f"{url}/ready", timeout=10).status_code == 200
