"""Fixtures for the Hub registry: a local Hub double and a registry holding v1 and v2.

The artifacts are the committed default log model (models/log-classifier),
copied into a temporary registry root; models/ itself is never written.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.core.config import Settings
from backend.registry.hub import HubModelStore
from backend.registry.local import LocalModelStore
from backend.registry.manifest import MANIFEST_FILE, Manifest
from tests.registry.hub_double import HubDouble
from tests.utils.factories import LOG_MODEL, make_settings

HUB_TOKEN = "hf_test_token"
NAMESPACE = "acme"


@pytest.fixture
def hub() -> Iterator[HubDouble]:
    with HubDouble(token=HUB_TOKEN) as double:
        yield double


def add_version(store: LocalModelStore, source: Path, **metrics: Any) -> Manifest:
    """Publish the artifacts in `source` as the next version of the log model in `store`."""
    base = Manifest.read(source)
    with store.staging(LOG_MODEL) as staged:
        for rel in base.files:
            (staged / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / rel, staged / rel)
        manifest = base.model_copy(update={"metrics": {**base.metrics, **metrics},
                                           "version": "", "files": {}})
        return store.publish(staged, manifest)


@pytest.fixture
def source_store(tmp_path: Path, default_model_dir: Path) -> LocalModelStore:
    """The machine that trains: a registry with v1 and v2 of the default log model."""
    assert (default_model_dir / MANIFEST_FILE).is_file()
    store = LocalModelStore(tmp_path / "trainer-models")
    add_version(store, default_model_dir, note="first")
    add_version(store, default_model_dir, note="second", accuracy=0.9)
    return store


def hub_store(hub: HubDouble, cache: Path, token: str | None = HUB_TOKEN) -> HubModelStore:
    return HubModelStore(NAMESPACE, token, hub.url, cache_dir=cache)


@pytest.fixture
def published(source_store: LocalModelStore, hub: HubDouble, tmp_path: Path) -> HubModelStore:
    """v1 and v2 published to the Hub double from the trainer's registry."""
    store = hub_store(hub, tmp_path / "trainer-cache")
    for version in ("v1", "v2"):
        store.publish(*source_store.open(LOG_MODEL, version))
    return store


def serving_settings(root: Path, hub: HubDouble, **overrides: Any) -> Settings:
    """Settings of a service instance that mirrors the Hub double into `root`."""
    values: dict[str, Any] = {"HF_NAMESPACE": NAMESPACE, "HF_TOKEN": HUB_TOKEN,
                              "HF_ENDPOINT": hub.url, "HF_CACHE_DIR": root / ".hub-cache",
                              **overrides}
    return make_settings(root / "models", **values)
