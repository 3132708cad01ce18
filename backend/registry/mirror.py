"""The local registry with the Hub behind it: pull what is missing, serve from disk.

Versions are installed into the local registry once their download has been
verified, so they survive a Hub outage and the service always loads from a
local, re-verified folder. `latest` asks the Hub first and falls back to the
newest local version (with a warning) when the Hub cannot be used.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from backend.core.config import Settings
from backend.registry.base import RemoteUnavailableError
from backend.registry.local import LocalModelStore
from backend.registry.manifest import MANIFEST_FILE, Manifest, version_number

if TYPE_CHECKING:  # huggingface_hub is imported only when a remote is configured
    from backend.registry.hub import HubModelStore

logger = logging.getLogger(__name__)

REMOTE_LISTING_TTL_S = 10.0


class MirroredModelStore:
    """`ModelStore` over a local registry that pulls verified versions from a `HubModelStore`."""

    def __init__(self, local: LocalModelStore, remote: HubModelStore,
                 pins: dict[str, str] | None = None) -> None:
        self.local = local
        self.remote = remote
        self.pins = pins or {}  # "name@tag" -> commit sha (HF_PINNED_COMMITS)
        self._listing: dict[str, tuple[float, list[str] | None]] = {}
        self.mirrored: str | None = None  # outcome of the last publish's upload

    def names(self) -> list[str]:
        return self.local.names()

    def versions(self, name: str) -> list[str]:
        return self.local.versions(name)

    def manifest(self, name: str, version: str) -> Manifest:
        return self.local.manifest(name, version)

    def resolve(self, name: str, version: str = "latest") -> str:
        """A tag is itself; `latest` is the Hub's highest tag, or the newest local one."""
        if version != "latest":
            return version
        try:
            return self.remote.resolve(name, "latest")
        except RemoteUnavailableError as exc:
            logger.warning("%s; serving the newest local version of %s", exc, name)
            return self.local.resolve(name, "latest")

    def open(self, name: str, version: str = "latest") -> tuple[Path, Manifest]:
        """Verified local folder of `version`, pulled from the Hub first if it is not local."""
        resolved = self.resolve(name, version)
        if resolved not in self.local.versions(name):
            self.pull(name, resolved)
        return self.local.open(name, resolved)

    def pinned_commit(self, name: str, tag: str) -> str | None:
        """The commit `name@tag` must be: HF_PINNED_COMMITS, else the one pulled before."""
        return self.pins.get(f"{name}@{tag}") or _read_ledger(self.local.root / name).get(tag)

    def pull(self, name: str, version: str = "latest", allow_moved_tag: bool = False
             ) -> Manifest:
        """Download, verify and atomically install a Hub version into the local registry.

        The tag's commit is recorded; a tag that later points elsewhere (or away from a
        commit pinned in HF_PINNED_COMMITS) is refused unless `allow_moved_tag`, which
        replaces the local copy with the new commit."""
        from backend.registry.hub import MovedTagError

        tag = self.remote.resolve(name, version)
        commit = self.remote.tag_commit(name, tag)
        known = self.pinned_commit(name, tag)
        moved = known is not None and known != commit
        if known is not None and moved and not allow_moved_tag:
            raise MovedTagError(
                f"{self.remote.repo_id(name)}@{tag} now points at commit {commit[:12]}, not "
                f"{known[:12]} pulled or pinned before; a moved tag is refused (someone may "
                "have replaced the model). If the move is intended: training pull "
                "--allow-moved-tag, or update HF_PINNED_COMMITS.")
        if tag in self.local.versions(name) and not moved:
            return self.local.open(name, tag)[1]
        folder, manifest = self.remote.open(name, tag, commit=commit)
        with self.local.staging(name) as staged:
            for rel in [*manifest.files, MANIFEST_FILE]:
                (staged / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(folder / rel, staged / rel)
            manifest.verify(staged)
            staged.chmod(0o755)  # mkdtemp makes it private; versions are readable by all
            if moved and tag in self.local.versions(name):  # allowed: the new commit replaces it
                shutil.rmtree(self.local.path(name, tag))
            try:
                os.rename(staged, self.local.path(name, tag))
            except OSError:
                if tag not in self.local.versions(name):  # not a concurrent pull of the same tag
                    raise
        _write_ledger(self.local.root / name, tag, commit)
        self._listing.pop(name, None)
        logger.info("pulled %s %s from %s (commit %s)", name, tag, self.remote.repo_id(name),
                    commit[:12])
        return self.local.open(name, tag)[1]

    def staging(self, name: str) -> AbstractContextManager[Path]:
        return self.local.staging(name)

    def publish(self, staged: Path, manifest: Manifest, version: str | None = None) -> Manifest:
        """Publish locally under a tag neither side has used, then mirror it to the Hub.

        A Hub that cannot be reached leaves the version local (logged, and `mirrored`
        says so); `training publish --version` uploads it later."""
        if version is None:
            try:
                remote = self.remote.versions(manifest.name)
            except RemoteUnavailableError:
                remote = []
            taken = [*self.local.versions(manifest.name), *remote]
            version = f"v{max((version_number(v) for v in taken), default=0) + 1}"
        published = self.local.publish(staged, manifest, version)
        folder = self.local.path(published.name, published.version)
        try:
            commit = self.remote.publish(folder, published)
        except RuntimeError as exc:  # unreachable, or VersionExistsError: the version is local
            logger.warning("%s %s stays local: %s", published.name, published.version, exc)
            self.mirrored = f"not mirrored: {exc}"
        else:
            self._listing.pop(published.name, None)
            self.mirrored = (f"{self.remote.repo_id(published.name)}@{published.version} "
                             f"(commit {commit[:12]})")
        return published

    def remote_versions(self, name: str) -> tuple[list[str] | None, str]:
        """(Hub tags or None, status), cached briefly so `GET /v1/models` stays fast."""
        now = time.monotonic()
        cached = self._listing.get(name)
        if cached is None or now - cached[0] > REMOTE_LISTING_TTL_S:
            try:
                listing: list[str] | None = self.remote.versions(name)
            except RemoteUnavailableError:
                listing = None
            cached = self._listing[name] = (now, listing)
        return cached[1], self.remote.status()


LEDGER = ".hub-commits.json"  # beside the versions: survives deleting one


def _read_ledger(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / LEDGER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_ledger(folder: Path, tag: str, commit: str) -> None:
    """Record which commit `tag` was pulled from (atomic replace)."""
    ledger = {**_read_ledger(folder), tag: commit}
    tmp = folder / f"{LEDGER}.tmp"
    tmp.write_text(json.dumps(ledger, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, folder / LEDGER)


def build_store(settings: Settings) -> LocalModelStore | MirroredModelStore:
    """The local registry, mirrored from the Hub when HF_NAMESPACE is set."""
    local = LocalModelStore(settings.MODELS_ROOT)
    if not settings.HF_NAMESPACE:
        return local
    from backend.registry.hub import HubModelStore

    token = settings.HF_TOKEN.get_secret_value() if settings.HF_TOKEN else None
    remote = HubModelStore(settings.HF_NAMESPACE, token, settings.HF_ENDPOINT,
                           settings.HF_REPO_PREFIX, settings.HF_CACHE_DIR, settings.HF_PRIVATE,
                           settings.HF_TIMEOUT_S, settings.HF_MAX_RETRIES)
    if token is None:
        logger.warning("HF_NAMESPACE is set but HF_TOKEN is not: serving local versions only")
    return MirroredModelStore(local, remote, settings.HF_PINNED_COMMITS)
