"""The manifest that travels with every model version: what it is, how good, which bytes."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from backend.core.errors import ModelIntegrityError

MANIFEST_FILE = "manifest.json"
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def safe_relative_path(rel: str) -> str:
    """`rel` when it names a file inside a version folder; ValueError for an absolute path,
    a `..` part, a backslash or a drive (a manifest must not reach outside its folder)."""
    parts = PurePosixPath(rel).parts
    if (not rel or "\\" in rel or rel.startswith("/") or ":" in rel or "\x00" in rel
            or any(part in ("..", ".") for part in parts) or rel != PurePosixPath(rel).as_posix()):
        raise ValueError(f"manifest file path {rel!r} is not a plain relative path inside the "
                         "version folder (no '/' at the start, no '..', no '\\' or ':')")
    return rel


def version_number(version: str) -> int:
    """`v12` -> 12; anything else is not a version tag."""
    if len(version) > 1 and version[0] == "v" and version[1:].isdigit():
        return int(version[1:])
    raise ValueError(f"not a version tag: {version!r} (expected v1, v2, ...)")


def is_version(version: str) -> bool:
    try:
        version_number(version)
    except ValueError:
        return False
    return True


class Manifest(BaseModel):
    """Identity, quality and integrity of one model version."""

    name: str
    version: str = ""
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    kind: str = ""
    data_hash: str = ""
    labels: list[str] = []
    metrics: dict[str, Any] = {}
    params: dict[str, Any] = {}
    files: dict[str, str] = Field(default_factory=dict, description="relative path -> sha256")

    @field_validator("files")
    @classmethod
    def _files_stay_inside(cls, files: dict[str, str]) -> dict[str, str]:
        for rel in files:
            safe_relative_path(rel)
        return files

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST_FILE
        if not path.is_file():
            raise ModelIntegrityError(f"{folder} has no {MANIFEST_FILE}; it is not a model version")
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except ValidationError as exc:
            raise ModelIntegrityError(f"{path} is refused: {exc.errors()[0]['msg']}") from exc

    def write(self, folder: Path) -> None:
        (folder / MANIFEST_FILE).write_text(
            json.dumps(self.model_dump(), indent=2, sort_keys=False) + "\n", encoding="utf-8"
        )

    def record_files(self, folder: Path) -> None:
        """Hash every artifact in `folder` (the manifest itself excluded)."""
        self.files = {
            p.relative_to(folder).as_posix(): sha256_file(p)
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MANIFEST_FILE
        }

    def verify(self, folder: Path) -> None:
        """Raise `ModelIntegrityError` naming the first file that is missing or altered."""
        if not self.files:
            raise ModelIntegrityError(f"{self.name} {self.version}: manifest lists no files")
        for rel, expected in self.files.items():
            path = folder / safe_relative_path(rel)  # the Hub cache's symlinks are fine
            if not path.is_file():
                raise ModelIntegrityError(
                    f"{self.name} {self.version}: artifact {rel} is missing from {folder}")
            actual = sha256_file(path)
            if actual != expected:
                raise ModelIntegrityError(
                    f"{self.name} {self.version}: artifact {rel} has sha256 {actual[:12]}..., "
                    f"manifest says {expected[:12]}...; refusing a tampered or corrupt model")
