"""Loading the classifier in a worker, and the job-wide LLM rate limit.

Workers (a local process or a Ray actor, possibly on another machine) get the
model as bytes in a `ModelSpec`, verified against the registry's sha256 by the
driver, so they need neither the registry folder nor the driver's disk.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from backend.bulk.memory import JobMemory
from backend.core.config import Settings
from backend.logs.classifier import LogClassifier
from backend.logs.llm.base import LLMAnswer, LLMItem, LLMProvider
from backend.logs.service import build_classifier
from backend.registry.local import LocalModelStore

RULES_FILE = "rules.yaml"


class Limiter(Protocol):
    """Anything with `reserve(n) -> seconds to wait` (a bucket, a proxy, an actor handle)."""

    def reserve(self, n: int = 1) -> float: ...


class TokenBucket:
    """`rate` calls per second, bursts up to `burst`. Reservations may go into debt:
    the caller sleeps the returned time, so the job never exceeds the rate."""

    def __init__(self, rate: float, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self.clock = clock
        self.tokens = self.burst
        self.stamp = clock()
        self._lock = threading.Lock()

    def reserve(self, n: int = 1) -> float:
        with self._lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            self.tokens -= n
            return max(0.0, -self.tokens / self.rate)


class RateLimitedProvider:
    """Wraps a remote LLM provider: one reserved token per call, whoever makes it."""

    def __init__(self, inner: LLMProvider, limiter: Limiter) -> None:
        self.inner = inner
        self.limiter = limiter
        self.name = inner.name
        self.remote = inner.remote

    def classify(self, items: Sequence[LLMItem], labels: Sequence[str]) -> list[LLMAnswer]:
        answers: list[LLMAnswer] = []
        for item in items:
            wait = self.limiter.reserve(1)
            if wait > 0:
                time.sleep(wait)
            answers.extend(self.inner.classify([item], labels))
        return answers


@dataclass(frozen=True)
class ModelSpec:
    """One verified model version as bytes, plus the settings that wire its tiers."""

    name: str
    version: str
    files: dict[str, bytes]
    rules: bytes | None
    settings: dict[str, Any] = field(default_factory=dict)
    memory: JobMemory = field(default_factory=JobMemory)  # the corrections the job applies

    @classmethod
    def from_registry(cls, settings: Settings, version: str = "latest") -> ModelSpec:
        folder, manifest = LocalModelStore(settings.MODELS_ROOT).open(
            settings.LOG_MODEL_NAME, version)
        files = {name: (folder / name).read_bytes() for name in manifest.files}
        rules = settings.RULES_PATH.read_bytes() if settings.RULES_ENABLED else None
        values = settings.model_dump(exclude={"MODELS_ROOT", "RULES_PATH"})
        return cls(manifest.name, manifest.version, files, rules, values)

    def build(self, limiter: Limiter | None = None) -> LogClassifier:
        """The classifier, through the same `backend` service code the API uses."""
        folder = Path(tempfile.mkdtemp(prefix="sift-bulk-model-"))
        try:
            for name, data in self.files.items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(data)
            (folder / RULES_FILE).write_bytes(self.rules or b"rules: []\n")
            settings = Settings(_env_file=None, MODELS_ROOT=folder,  # type: ignore[call-arg]
                                RULES_PATH=folder / RULES_FILE, **self.settings)
            classifier = build_classifier(settings, folder, self.version)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        llm = classifier.llm
        if limiter is not None and llm is not None and llm.provider.remote:
            llm.provider = RateLimitedProvider(llm.provider, limiter)
        return classifier
