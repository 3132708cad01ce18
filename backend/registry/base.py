"""The registry protocol every model store satisfies (local folder, Hugging Face Hub, mirror).

The service only needs a few verbs: which models and versions exist, which
version a request means (`latest` or a tag), its manifest, and a verified
folder to load from.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol, runtime_checkable

from backend.registry.manifest import Manifest


class RemoteUnavailableError(RuntimeError):
    """The remote registry cannot be used right now (down, timed out, no or bad token)."""


@runtime_checkable
class ModelStore(Protocol):
    """Versions `v1, v2, ...` of named models; `open` returns only verified artifacts."""

    def names(self) -> list[str]:
        """Models that have at least one version."""
        ...

    def versions(self, name: str) -> list[str]:
        """Complete versions, oldest first."""
        ...

    def resolve(self, name: str, version: str = "latest") -> str:
        """`latest` -> the highest version; a tag -> itself if it exists (else `LookupError`)."""
        ...

    def manifest(self, name: str, version: str) -> Manifest:
        ...

    def open(self, name: str, version: str = "latest") -> tuple[Path, Manifest]:
        """Resolve, verify every sha256 against the manifest, return the folder to load."""
        ...


class PublishingStore(ModelStore, Protocol):
    """A store a trainer publishes into: the local registry, or the local registry with the
    Hub mirror behind it (a retrain publishes through whichever the service is configured
    with, so a promoted version reaches the Hub too)."""

    mirrored: str | None  # where the last publish was mirrored to (None: a local store)

    def staging(self, name: str) -> AbstractContextManager[Path]:
        """A scratch folder for the next version; removed unless published."""
        ...

    def publish(self, staged: Path, manifest: Manifest, version: str | None = None) -> Manifest:
        """Make the staged folder the next version (`version` to force a tag)."""
        ...
