"""The registry protocol every model store satisfies (local folder, Hugging Face Hub, mirror).

The service only needs a few verbs: which models and versions exist, which
version a request means (`latest` or a tag), its manifest, and a verified
folder to load from.
"""

from __future__ import annotations

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
