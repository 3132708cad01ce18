"""Prediction cache keyed by model, version and normalised input: in-process or Redis.

Values are JSON so a Redis-backed cache can be shared by several API workers.
A Redis failure never fails a request: the cache is skipped and the reason logged.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

from backend.core.cache import LRUCache

logger = logging.getLogger(__name__)


class PredictionCache(Protocol):
    name: str

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, value: dict[str, Any]) -> None: ...


def cache_key(model: str, version: str, input_key: str) -> str:
    return f"sift:pred:{model}:{version}:{input_key}"


class MemoryPredictionCache:
    """A bounded LRU in this process (the default)."""

    name = "memory"

    def __init__(self, maxsize: int = 10_000) -> None:
        self._lru: LRUCache[str] = LRUCache(maxsize)

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self._lru.get(key)
        return json.loads(raw) if raw is not None else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        self._lru.put(key, json.dumps(value))


class RedisPredictionCache:
    """Redis (`REDIS_URL`), entries expire after `ttl_s`."""

    name = "redis"

    def __init__(self, url: str, ttl_s: int = 86_400) -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.ttl_s = ttl_s

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            raw = self._client.get(key)
        except Exception as exc:  # the cache is an optimisation, never a failure
            logger.warning("redis get failed, computing instead: %s", exc)
            return None
        return json.loads(raw) if raw else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        try:
            self._client.set(key, json.dumps(value), ex=self.ttl_s)
        except Exception as exc:
            logger.warning("redis set failed, not cached: %s", exc)


def build_prediction_cache(redis_url: str | None, maxsize: int) -> PredictionCache:
    if redis_url:
        return RedisPredictionCache(redis_url)
    return MemoryPredictionCache(maxsize)
