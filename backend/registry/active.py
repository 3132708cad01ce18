"""What the service serves right now, per model name; swaps are atomic.

A request reads the active entry once and keeps using that object, so a
switch never disturbs requests in flight; new requests see the new model.

Models that appear in the registry while the service runs (`sift train-steps --name X`,
a publish under a new name) are served without a restart: a name the service did not
load at start is *adopted* on first use when its manifest's kind has a loader, and a
model that could not load at start is tried again once the registry has new versions.
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
    def __init__(self, store: ModelStore, loaders: dict[str, Loader],
                 kinds: dict[str, Loader] | None = None) -> None:
        self.store = store
        self.loaders = loaders
        self.startup = frozenset(loaders)  # what /ready waits for
        self.kinds = kinds or {}  # manifest kind -> loader, for names adopted at run time
        self._active: dict[str, ActiveEntry] = {}
        self._errors: dict[str, str] = {}
        self._tried: dict[str, tuple[str, ...]] = {}  # versions seen when a load failed
        self._lock = threading.Lock()
        self._load_lock = threading.Lock()

    def kind_of(self, name: str) -> str | None:
        """The kind in the newest version's manifest, or None (no version, unreadable)."""
        try:
            return self.store.manifest(name, self.store.resolve(name)).kind
        except Exception:
            return None

    def adopt(self, name: str) -> bool:
        """Whether `name` can be served; a registry model the service did not know at
        start gets its kind's loader here."""
        if name in self.loaders:
            return True
        loader = self.kinds.get(self.kind_of(name) or "")
        if loader is None:
            return False
        with self._lock:
            self.loaders.setdefault(name, loader)
        logger.info("adopted %s from the registry", name)
        return True

    def servable(self) -> list[str]:
        """Names that can be used now: loaded at start, or of a kind with a loader."""
        names = set(self.loaders) | {n for n in self.store.names()
                                     if self.kinds.get(self.kind_of(n) or "")}
        return sorted(names)

    def _load_on_demand(self, name: str) -> ActiveEntry | None:
        """Load the newest version of a model first asked for after start-up (or one
        that failed at start and has new versions since); None when it cannot load."""
        if name not in self.startup:
            if not self.adopt(name):
                return None
        elif name not in self._errors:
            return None  # still loading at start-up: the start-up thread owns it
        try:
            versions = tuple(self.store.versions(name))
        except Exception:
            return None
        if not versions or self._tried.get(name) == versions:
            return None
        with self._load_lock:
            if name in self._active:
                return self._active[name]
            try:
                return self.load(name, "latest")
            except Exception as exc:
                logger.warning("could not load %s: %s", name, exc)
                with self._lock:
                    self._errors[name] = str(exc)
                    self._tried[name] = versions
                return None

    def load(self, name: str, version: str = "latest") -> ActiveEntry:
        """Verify and load a version, then make it active (the old one stays until then)."""
        if not self.adopt(name):
            raise KeyError(f"unknown model {name!r}; known: {', '.join(sorted(self.loaders))}")
        folder, manifest = self.store.open(name, version)
        model = self.loaders[name](folder, manifest)
        entry = ActiveEntry(name, manifest.version, manifest, model, time.time())
        with self._lock:
            self._active[name] = entry
            self._errors.pop(name, None)
            self._tried.pop(name, None)
        logger.info("serving %s %s", name, manifest.version)
        return entry

    def load_all(self, versions: dict[str, str]) -> None:
        """Start-up: load every model with a loader; remember why one could not load."""
        for name in list(self.loaders):
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
        entry = self._active.get(name) or self._load_on_demand(name)
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
