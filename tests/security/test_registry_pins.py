"""Issue 19, finding 6: manifests cannot reach outside their folder, moved tags are refused.

The real huggingface_hub client talks to the local Hub double (tests/registry)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.core.errors import ModelIntegrityError
from backend.registry.hub import HubModelStore, MovedTagError
from backend.registry.local import LocalModelStore
from backend.registry.manifest import Manifest
from backend.registry.mirror import MirroredModelStore
from tests.registry.conftest import NAMESPACE, hub_store
from tests.registry.hub_double import HubDouble
from tests.utils.factories import LOG_MODEL

REPO = f"{NAMESPACE}/sift-{LOG_MODEL}"


def _mirror(hub: HubDouble, root: Path, pins: dict[str, str] | None = None
            ) -> MirroredModelStore:
    return MirroredModelStore(LocalModelStore(root / "models"),
                              hub_store(hub, root / "cache"), pins)


def test_manifest_paths_outside_the_folder_are_refused(tmp_path: Path) -> None:
    for bad in ("../old/evil.json", "/etc/cron.d/evil", "a/../../evil.json", "a\\..\\evil"):
        folder = tmp_path / "v1"
        folder.mkdir(exist_ok=True)
        (folder / "manifest.json").write_text(json.dumps(
            {"name": LOG_MODEL, "version": "v1", "files": {bad: "0" * 64}}))
        with pytest.raises(ModelIntegrityError, match="not a plain relative path"):
            Manifest.read(folder)


def test_a_hub_manifest_with_dotdot_writes_nothing_outside(published: HubModelStore,
                                                          hub: HubDouble,
                                                          tmp_path: Path) -> None:
    files = hub.repos[REPO].commits[hub.repos[REPO].tags["v1"]]
    manifest = json.loads(files["manifest.json"])
    manifest["files"]["../old/evil.json"] = "0" * 64
    hub.tamper(REPO, "v1", "manifest.json", json.dumps(manifest).encode())
    mirror = _mirror(hub, tmp_path / "serving")
    with pytest.raises(ModelIntegrityError, match="not a plain relative path"):
        mirror.pull(LOG_MODEL, "v1")
    written = list((tmp_path / "serving").rglob("evil.json"))
    assert written == [] and mirror.local.versions(LOG_MODEL) == []


def test_a_moved_tag_is_refused_unless_allowed(published: HubModelStore, hub: HubDouble,
                                               tmp_path: Path) -> None:
    mirror = _mirror(hub, tmp_path / "serving")
    first = hub.repos[REPO].tags["v2"]
    assert mirror.pull(LOG_MODEL, "v2").version == "v2"
    assert mirror.pinned_commit(LOG_MODEL, "v2") == first
    hub.tamper(REPO, "v2", "notes.txt", b"the tag was moved to a new commit")
    moved = hub.repos[REPO].tags["v2"]
    assert moved != first
    with pytest.raises(MovedTagError, match=f"now points at commit {moved[:12]}"):
        mirror.pull(LOG_MODEL, "v2")
    # a fresh registry on the same machine would not know; the ledger survives a deleted copy
    import shutil

    shutil.rmtree(mirror.local.path(LOG_MODEL, "v2"))
    with pytest.raises(MovedTagError):
        mirror.pull(LOG_MODEL, "v2")
    assert mirror.pull(LOG_MODEL, "v2", allow_moved_tag=True).version == "v2"
    assert mirror.pinned_commit(LOG_MODEL, "v2") == moved


def test_a_commit_pinned_in_settings_is_enforced_on_first_pull(published: HubModelStore,
                                                               hub: HubDouble,
                                                               tmp_path: Path) -> None:
    pinned = hub.repos[REPO].tags["v1"]
    ok = _mirror(hub, tmp_path / "a", {f"{LOG_MODEL}@v1": pinned})
    assert ok.pull(LOG_MODEL, "v1").version == "v1"
    wrong = _mirror(hub, tmp_path / "b", {f"{LOG_MODEL}@v1": "f" * 40})
    with pytest.raises(MovedTagError, match="refused"):
        wrong.pull(LOG_MODEL, "v1")
    assert wrong.local.versions(LOG_MODEL) == []
