"""Local registry: versions, latest, sha256 verification, concurrent publishing."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from backend.core.errors import ModelIntegrityError
from backend.logs.model import LogModel
from backend.registry.local import LocalModelStore, ModelNotFoundError
from backend.registry.manifest import MANIFEST_FILE, Manifest, sha256_file
from tests.utils.factories import LOG_MODEL, publish_tiny


def _publish_files(store: LocalModelStore, name: str, payload: str) -> Manifest:
    with store.staging(name) as staged:
        (staged / "weights.json").write_text(payload)
        (staged / "sub").mkdir()
        (staged / "sub" / "extra.txt").write_text(payload * 2)
        return store.publish(staged, Manifest(name=name, labels=["a"]))


def test_publish_allocates_v1_then_v2_and_latest_is_v2(tmp_path: Path) -> None:
    store = LocalModelStore(tmp_path)
    assert _publish_files(store, "m", "one").version == "v1"
    assert _publish_files(store, "m", "two").version == "v2"
    assert store.versions("m") == ["v1", "v2"]
    assert store.resolve("m") == "v2"
    assert store.resolve("m", "v1") == "v1"
    assert store.names() == ["m"]
    folder, manifest = store.open("m", "latest")
    assert folder == tmp_path / "m" / "v2"
    assert (folder / "weights.json").read_text() == "two"
    assert set(manifest.files) == {"weights.json", "sub/extra.txt"}
    assert manifest.files["weights.json"] == sha256_file(folder / "weights.json")


def test_versions_sort_numerically_and_skip_incomplete(tmp_path: Path) -> None:
    store = LocalModelStore(tmp_path)
    for _ in range(10):
        _publish_files(store, "m", "x")
    (tmp_path / "m" / "v11").mkdir()  # no manifest: a crashed publish
    (tmp_path / "m" / "notes").mkdir()
    assert store.versions("m")[-3:] == ["v8", "v9", "v10"]
    assert store.resolve("m") == "v10"
    assert not list((tmp_path / "m").glob(".staging-*"))


def test_unknown_model_or_version_raises_not_found(tmp_path: Path) -> None:
    store = LocalModelStore(tmp_path)
    with pytest.raises(ModelNotFoundError, match="no versions"):
        store.resolve("absent")
    _publish_files(store, "m", "x")
    with pytest.raises(ModelNotFoundError, match="available: v1"):
        store.open("m", "v7")


def test_tampered_artifact_is_refused_naming_the_file(tmp_path: Path) -> None:
    store = LocalModelStore(tmp_path)
    _publish_files(store, "m", "genuine")
    (tmp_path / "m" / "v1" / "sub" / "extra.txt").write_text("evil")
    with pytest.raises(ModelIntegrityError, match=r"sub/extra\.txt.*tampered"):
        store.open("m")


def test_missing_artifact_is_refused_naming_the_file(tmp_path: Path) -> None:
    store = LocalModelStore(tmp_path)
    _publish_files(store, "m", "genuine")
    (tmp_path / "m" / "v1" / "weights.json").unlink()
    with pytest.raises(ModelIntegrityError, match=r"weights\.json is missing"):
        store.open("m")


def test_manifest_for_another_version_is_refused(tmp_path: Path) -> None:
    store = LocalModelStore(tmp_path)
    _publish_files(store, "m", "a")
    _publish_files(store, "m", "b")
    manifest = json.loads((tmp_path / "m" / "v2" / MANIFEST_FILE).read_text())
    manifest["version"] = "v1"
    (tmp_path / "m" / "v2" / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="expected m v2"):
        store.open("m", "v2")


def test_concurrent_publish_allocates_distinct_versions(tmp_path: Path) -> None:
    store = LocalModelStore(tmp_path)
    barrier = threading.Barrier(6)
    results: list[str] = []
    errors: list[BaseException] = []

    def publish(n: int) -> None:
        try:
            with store.staging("m") as staged:
                (staged / "payload.txt").write_text(f"publisher {n}")
                barrier.wait()
                results.append(store.publish(staged, Manifest(name="m")).version)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results, key=lambda v: int(v[1:])) == [f"v{i}" for i in range(1, 7)]
    payloads = {(tmp_path / "m" / v / "payload.txt").read_text() for v in results}
    assert len(payloads) == 6
    for version in results:
        store.open("m", version)  # each one verifies


def test_published_log_model_loads_back_identically(tmp_path: Path, tiny_model: LogModel) -> None:
    store = LocalModelStore(tmp_path)
    manifest = publish_tiny(store, tiny_model, accuracy=0.9)
    folder, opened = store.open(LOG_MODEL)
    assert opened.version == manifest.version == "v1"
    assert opened.metrics == {"accuracy": 0.9}
    assert opened.labels == tiny_model.labels
    loaded = LogModel.from_pretrained(folder, opened.version)
    assert loaded.version == "v1" and loaded.embedder == tiny_model.embedder
    assert loaded.example_labels == tiny_model.example_labels
    np.testing.assert_array_equal(loaded.head.predict_proba(tiny_model.example_vectors),
                                  tiny_model.head.predict_proba(tiny_model.example_vectors))
