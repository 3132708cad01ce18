"""A promoted retrain goes through the service's configured store: with the Hub configured,
the new version is published to the Hub (double) as well as to the local registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.registry.hub import HubModelStore
from backend.registry.local import LocalModelStore
from tests.registry.hub_double import HubDouble
from tests.tasks.conftest import TASK_MODEL, TOKEN, task_settings
from tests.utils.auth import WRITER_HEADERS, writer_settings
from tests.utils.jobs import retrain_and_wait

HUB_TOKEN = "hf_test_token"
NAMESPACE = "acme"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TASK = {"title": "Submit the quarterly VAT return",
        "description": "Collect receipts and file the tax forms with the accountant."}


@pytest.mark.slow
def test_promoted_retrain_is_mirrored_to_the_hub(task_models: Path, tmp_path: Path):
    local = LocalModelStore(task_models)
    with HubDouble(token=HUB_TOKEN) as hub:
        remote = HubModelStore(NAMESPACE, HUB_TOKEN, hub.url, cache_dir=tmp_path / "reader")
        remote.publish(*local.open(TASK_MODEL, "v1"))
        settings = task_settings(task_models, tmp_path / "feedback.db", HF_NAMESPACE=NAMESPACE,
                                 HF_TOKEN=HUB_TOKEN, HF_ENDPOINT=hub.url,
                                 HF_CACHE_DIR=tmp_path / "hub-cache", **writer_settings())
        with TestClient(create_app(settings, load_in_background=False)) as client:
            before = client.post("/v1/tasks/categorize", json=TASK).json()
            wanted = "Planning" if before["category"] != "Planning" else "Research"
            r = client.post("/v1/feedback", headers=WRITER_HEADERS, json={
                "prediction_id": before["prediction_id"], "verdict": "correct",
                "correct_label": wanted})
            assert r.status_code == 201, r.text
            report = retrain_and_wait(client, TASK_MODEL, AUTH)
        assert report["promoted"] is True, report["reason"]
        assert report["candidate_version"] == "v2"
        assert report["mirrored"].startswith(f"{remote.repo_id(TASK_MODEL)}@v2")
        assert remote.versions(TASK_MODEL) == ["v1", "v2"]
        assert remote.manifest(TASK_MODEL, "v2").files == local.manifest(TASK_MODEL, "v2").files
        folder, manifest = remote.open(TASK_MODEL, "v2")  # downloads and verifies every sha256
        assert manifest.version == "v2" and (folder / "manifest.json").is_file()

