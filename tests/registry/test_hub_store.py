"""HubModelStore against the local Hub double: the real huggingface_hub client runs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from backend.core.errors import ModelIntegrityError
from backend.registry.base import ModelStore, RemoteUnavailableError
from backend.registry.hub import HubModelStore, VersionExistsError
from backend.registry.local import LocalModelStore, ModelNotFoundError
from tests.registry.conftest import HUB_TOKEN, NAMESPACE, add_version, hub_store
from tests.registry.hub_double import HubDouble
from tests.utils.factories import LOG_MODEL

REPO = f"{NAMESPACE}/sift-{LOG_MODEL}"


def test_both_stores_satisfy_the_registry_protocol(published: HubModelStore,
                                                   source_store: LocalModelStore) -> None:
    assert isinstance(published, ModelStore)
    assert isinstance(source_store, ModelStore)


def test_publish_creates_one_repo_with_a_tag_per_version(published: HubModelStore,
                                                         hub: HubDouble) -> None:
    repo = hub.repos[REPO]
    assert sorted(repo.tags) == ["v1", "v2"]
    assert repo.tags["v1"] != repo.tags["v2"]
    assert published.names() == [LOG_MODEL]
    assert published.versions(LOG_MODEL) == ["v1", "v2"]
    assert published.resolve(LOG_MODEL, "latest") == "v2"
    assert published.status() == "reachable"


def test_publish_writes_a_model_card_from_the_manifest(published: HubModelStore,
                                                       hub: HubDouble) -> None:
    repo = hub.repos[REPO]
    files = repo.commits[repo.tags["v2"]]
    manifest = json.loads(files["manifest.json"])
    card = files["README.md"].decode()
    assert card.startswith("---\nlibrary_name: sift\n")
    assert "# log-classifier v2" in card
    assert "| accuracy | 0.9000 |" in card
    assert manifest["data_hash"] in card
    assert all(f"- {label}" in card for label in manifest["labels"])
    assert all(digest in card for digest in manifest["files"].values())
    assert set(files) == {".gitattributes", "README.md", "manifest.json", *manifest["files"]}


def test_open_downloads_and_verifies_a_pinned_tag(published: HubModelStore, tmp_path: Path,
                                                  hub: HubDouble) -> None:
    reader = hub_store(hub, tmp_path / "reader-cache")
    folder, manifest = reader.open(LOG_MODEL, "v1")
    assert manifest.version == "v1" and manifest.metrics["note"] == "first"
    assert str(folder).startswith(str(tmp_path / "reader-cache"))
    assert reader.manifest(LOG_MODEL, "latest").metrics["note"] == "second"


def test_republishing_the_same_files_is_a_no_op(published: HubModelStore,
                                                source_store: LocalModelStore,
                                                hub: HubDouble) -> None:
    commits = len(hub.repos[REPO].commits)
    sha = published.publish(*source_store.open(LOG_MODEL, "v1"))
    assert sha == hub.repos[REPO].tags["v1"]
    assert len(hub.repos[REPO].commits) == commits


def test_publishing_other_files_under_an_existing_tag_is_refused(
        published: HubModelStore, tmp_path: Path, default_model_dir: Path) -> None:
    other = LocalModelStore(tmp_path / "elsewhere")
    add_version(other, default_model_dir)
    folder, manifest = other.open(LOG_MODEL, "v1")
    (folder / "head.json").write_text('{"changed": true}\n', encoding="utf-8")
    manifest.record_files(folder)
    with pytest.raises(VersionExistsError, match="tags are immutable"):
        published.publish(folder, manifest)


def test_unknown_tag_is_not_found(published: HubModelStore, tmp_path: Path,
                                  hub: HubDouble) -> None:
    reader = hub_store(hub, tmp_path / "reader-cache")
    with pytest.raises(ModelNotFoundError, match="not on the Hub"):
        reader.open(LOG_MODEL, "v9")
    assert reader.status() == "reachable"


def test_repo_that_does_not_exist_has_no_versions(hub: HubDouble, tmp_path: Path) -> None:
    reader = hub_store(hub, tmp_path / "cache")
    assert reader.versions("no-such-model") == []
    with pytest.raises(ModelNotFoundError, match="no versions"):
        reader.resolve("no-such-model", "latest")


def test_wrong_token_is_reported_as_401(published: HubModelStore, tmp_path: Path,
                                        hub: HubDouble) -> None:
    reader = hub_store(hub, tmp_path / "cache", token="hf_wrong")
    with pytest.raises(RemoteUnavailableError, match=r"refused the token \(HTTP 401\)"):
        reader.versions(LOG_MODEL)
    with pytest.raises(RemoteUnavailableError, match="HTTP 401"):
        reader.open(LOG_MODEL, "v1")
    assert reader.status().startswith("unreachable: ") and "HF_TOKEN" in reader.status()


def test_missing_token_never_calls_the_hub(hub: HubDouble, tmp_path: Path) -> None:
    reader = hub_store(hub, tmp_path / "cache", token=None)
    with pytest.raises(RemoteUnavailableError, match="HF_TOKEN is not set"):
        reader.versions(LOG_MODEL)
    assert hub.requests == []
    assert reader.status() == "unreachable: HF_TOKEN is not set"


def test_outage_is_reported_as_unreachable(published: HubModelStore, tmp_path: Path,
                                           hub: HubDouble) -> None:
    hub.stop()
    reader = hub_store(hub, tmp_path / "cold-cache")
    with pytest.raises(RemoteUnavailableError, match="cannot connect"):
        reader.versions(LOG_MODEL)
    with pytest.raises(RemoteUnavailableError, match="cannot connect"):
        reader.open(LOG_MODEL, "v1")
    assert reader.status().startswith("unreachable: cannot connect to http://127.0.0.1:")


def test_a_hub_that_never_answers_times_out(published: HubModelStore, tmp_path: Path,
                                            hub: HubDouble) -> None:
    reader = HubModelStore(NAMESPACE, HUB_TOKEN, hub.url, cache_dir=tmp_path / "c",
                           timeout_s=0.3)
    hub.delay_s = 2.0
    start = time.monotonic()
    try:
        with pytest.raises(RemoteUnavailableError, match=r"no answer from .* within 0.3 s"):
            reader.versions(LOG_MODEL)
        assert time.monotonic() - start < 1.5
    finally:
        hub.delay_s = 0.0
        HubModelStore(NAMESPACE, HUB_TOKEN, hub.url)  # back to the default timeout


def test_server_errors_are_reported_as_unreachable(published: HubModelStore,
                                                   hub: HubDouble) -> None:
    hub.fail_status = 500
    with pytest.raises(RemoteUnavailableError, match="answered HTTP 500"):
        published.versions(LOG_MODEL)


def test_tampered_download_is_refused(published: HubModelStore, tmp_path: Path,
                                      hub: HubDouble) -> None:
    hub.tamper(REPO, "v2", "head.json", b'{"classes": ["Everything is fine"]}\n')
    reader = hub_store(hub, tmp_path / "reader-cache")
    with pytest.raises(ModelIntegrityError, match=r"acme/sift-log-classifier@v2 failed "
                                                  r"verification: .*head\.json has sha256"):
        reader.open(LOG_MODEL, "v2")


def test_pickle_artifacts_are_refused(published: HubModelStore, tmp_path: Path,
                                      hub: HubDouble) -> None:
    repo = hub.repos[REPO]
    files = repo.commits[repo.tags["v1"]]
    manifest = json.loads(files["manifest.json"])
    manifest["files"]["model.pkl"] = "0" * 64
    hub.tamper(REPO, "v1", "manifest.json", json.dumps(manifest).encode())
    hub.tamper(REPO, "v1", "model.pkl", b"not really a pickle")
    with pytest.raises(ModelIntegrityError, match="could need unpickling: model.pkl"):
        hub_store(hub, tmp_path / "reader-cache").open(LOG_MODEL, "v1")


def test_offline_mode_is_restored_after_registry_calls(published: HubModelStore) -> None:
    from huggingface_hub import constants

    assert constants.HF_HUB_OFFLINE is True  # tests/conftest.py sets HF_HUB_OFFLINE=1
    published.versions(LOG_MODEL)
    assert constants.HF_HUB_OFFLINE is True


def test_other_hub_users_stay_offline_while_the_registry_is_configured(
        published: HubModelStore, hub: HubDouble) -> None:
    """The registry's HTTP client factory is process-wide; a library call outside the
    registry (a model download, say) must still be refused by offline mode."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import OfflineModeIsEnabled

    repo = published.repo_id(LOG_MODEL)
    assert "v2" in published.versions(LOG_MODEL)  # the registry itself goes online
    with pytest.raises(OfflineModeIsEnabled):
        HfApi(endpoint=hub.url, token=HUB_TOKEN).list_repo_refs(repo)
