"""Per-client rate limiting on the `limits` library (the engine under slowapi).

Used directly rather than through slowapi's route decorators so that every
route, including ones added later, is covered by default, and so the refusal
is our problem+json with `Retry-After`. Counters live in memory (one process)
or in Redis (`RATE_LIMIT_STORAGE=redis://...`, shared by every worker).
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse_many
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from backend.core.errors import ProblemError

logger = logging.getLogger(__name__)

# Probes and scrapes must never be starved by a busy client.
EXEMPT_PATHS = frozenset({"/health", "/ready", "/metrics"})
OFF = {"", "off", "none", "0", "false", "disabled"}


class ClientRateLimiter:
    """`check(client)` raises a 429 ProblemError once `client` is over any of the limits."""

    def __init__(self, spec: str, storage_uri: str = "memory://") -> None:
        self.limits: list[RateLimitItem] = parse_many(spec)
        uri = storage_uri if storage_uri.startswith("async+") else f"async+{storage_uri}"
        self._limiter = SlidingWindowCounterRateLimiter(storage_from_string(uri))
        self.spec = spec

    @classmethod
    def from_setting(cls, spec: str, storage_uri: str) -> ClientRateLimiter | None:
        """None when the setting turns limiting off."""
        if spec.strip().lower() in OFF:
            return None
        try:
            return cls(spec, storage_uri)
        except ValueError as exc:
            raise ValueError(f"RATE_LIMIT={spec!r} is not a rate such as '600/minute' "
                             f"or '20/second;600/minute' (or 'off')") from exc

    async def check(self, client: str, setting: str = "RATE_LIMIT") -> None:
        """Count one request of `client`; 429 naming `setting` once it is over a limit."""
        for item in self.limits:
            try:
                allowed = await self._limiter.hit(item, client)
            except Exception as exc:  # storage down: serve rather than refuse everyone
                logger.warning("rate-limit storage unavailable (%s); not limiting", exc)
                return
            if not allowed:
                stats = await self._limiter.get_window_stats(item, client)
                retry = max(1, math.ceil(stats.reset_time - time.time()))
                raise ProblemError(
                    429, f"Too many requests from this client: the limit is {item} "
                         f"({setting}). "
                         f"Retry after {retry} s, or spread requests out (batch more "
                         "lines per request).", headers={"Retry-After": str(retry)})
