"""Model versions in a local folder: `<root>/<name>/<version>/` + manifest.json."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from backend.core.errors import ModelIntegrityError
from backend.registry.manifest import MANIFEST_FILE, Manifest, is_version, version_number

logger = logging.getLogger(__name__)


class ModelNotFoundError(LookupError):
    """No such model or version in the store."""


class LocalModelStore:
    """Versions on disk. Writes are atomic: build in a staging dir, then one rename."""

    mirrored: str | None = None  # a local store mirrors nowhere (see PublishingStore)

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and self.versions(p.name))

    def versions(self, name: str) -> list[str]:
        """Complete versions, oldest first (a folder without a manifest is ignored)."""
        folder = self.root / name
        if not folder.is_dir():
            return []
        found = [p.name for p in folder.iterdir()
                 if p.is_dir() and is_version(p.name) and (p / MANIFEST_FILE).is_file()]
        return sorted(found, key=version_number)

    def resolve(self, name: str, version: str = "latest") -> str:
        versions = self.versions(name)
        if not versions:
            raise ModelNotFoundError(f"no versions of model {name!r} under {self.root}")
        if version == "latest":
            return versions[-1]
        if version not in versions:
            raise ModelNotFoundError(
                f"model {name!r} has no version {version!r}; available: {', '.join(versions)}")
        return version

    def path(self, name: str, version: str) -> Path:
        return self.root / name / version

    def manifest(self, name: str, version: str) -> Manifest:
        return Manifest.read(self.path(name, self.resolve(name, version)))

    def open(self, name: str, version: str = "latest") -> tuple[Path, Manifest]:
        """Resolve, verify every sha256, and return the folder to load from."""
        resolved = self.resolve(name, version)
        folder = self.path(name, resolved)
        manifest = Manifest.read(folder)
        if manifest.name != name or manifest.version != resolved:
            raise ModelIntegrityError(
                f"{folder}: manifest says {manifest.name} {manifest.version}, "
                f"expected {name} {resolved}")
        manifest.verify(folder)
        return folder, manifest

    @contextlib.contextmanager
    def staging(self, name: str) -> Iterator[Path]:
        """A scratch folder on the registry's filesystem; removed unless published."""
        parent = self.root / name
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".staging-", dir=parent))
        try:
            yield tmp
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def publish(self, staged: Path, manifest: Manifest, version: str | None = None) -> Manifest:
        """Hash the staged files, write the manifest and rename into the next version."""
        parent = self.root / manifest.name
        parent.mkdir(parents=True, exist_ok=True)
        for _ in range(100):
            existing = self.versions(manifest.name)
            target = version or f"v{version_number(existing[-1]) + 1 if existing else 1}"
            manifest.version = target
            staged.chmod(0o755)  # mkdtemp makes it private; versions are readable by all
            manifest.record_files(staged)
            manifest.write(staged)
            _fsync_tree(staged)
            try:
                os.rename(staged, parent / target)
            except OSError:
                if version:
                    raise
                continue  # a concurrent publisher took this number; try the next
            logger.info("published %s %s", manifest.name, target)
            return manifest
        raise RuntimeError(f"could not allocate a version for {manifest.name}")


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())
