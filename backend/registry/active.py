"""What the service serves right now, per model name; swaps are atomic.

A request reads the active entry once and keeps using that object, so a
switch never disturbs requests in flight; new requests see the new model.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.registry.base import ModelStore, RemoteUnavailableError
from backend.registry.manifest import Manifest

logger = logging.getLogger(__name__)

Loader = Callable[[Path, Manifest], Any]


class ModelNotLoadedError(RuntimeError):
    """The model has no active version (still loading, or none in the registry)."""


@dataclass(frozen=True)
class ActiveEntry:
    name: str
    version: str
    manifest: Manifest
    model: Any
    loaded_at: float


class ModelManager:
    def __init__(self, store: ModelStore, loaders: dict[str, Loader]) -> None:
        self.store = store
        self.loaders = loaders
        self._active: dict[str, ActiveEntry] = {}
        self._errors: dict[str, str] = {}
        self._lock = threading.Lock()

    def load(self, name: str, version: str = "latest") -> ActiveEntry:
        """Verify and load a version, then make it active (the old one stays until then)."""
        if name not in self.loaders:
            raise KeyError(f"unknown model {name!r}; known: {', '.join(sorted(self.loaders))}")
        folder, manifest = self.store.open(name, version)
        model = self.loaders[name](folder, manifest)
        entry = ActiveEntry(name, manifest.version, manifest, model, time.time())
        with self._lock:
            self._active[name] = entry
            self._errors.pop(name, None)
        logger.info("serving %s %s", name, manifest.version)
        return entry

    def load_all(self, versions: dict[str, str]) -> None:
        """Start-up: load every model with a loader; remember why one could not load."""
        for name in self.loaders:
            try:
                try:
                    self.load(name, versions.get(name, "latest"))
                except RemoteUnavailableError as exc:
                    logger.warning("%s; serving the newest local version of %s", exc, name)
                    self.load(name, "latest")
            except Exception as exc:
                logger.warning("could not load %s: %s", name, exc)
                with self._lock:
                    self._errors[name] = str(exc)

    def get(self, name: str) -> ActiveEntry:
        entry = self._active.get(name)
        if entry is None:
            why = self._errors.get(name, "still loading")
            raise ModelNotLoadedError(f"model {name!r} is not loaded: {why}")
        return entry

    def is_loaded(self, name: str) -> bool:
        return name in self._active

    def error(self, name: str) -> str | None:
        return self._errors.get(name)

    def active(self) -> dict[str, ActiveEntry]:
        return dict(self._active)
