"""One retry policy for remote calls (LLM providers, the Hub): backoff, honouring Retry-After."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential

T = TypeVar("T")

MAX_WAIT_S = 30.0


class TransientError(RuntimeError):
    """Worth retrying (429, 5xx, timeout); `retry_after` in seconds when the server said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _wait(base: float) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential(multiplier=base, max=MAX_WAIT_S)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            return min(exc.retry_after, MAX_WAIT_S)
        return float(backoff(state))

    return wait


def with_retries(call: Callable[[], T], max_retries: int, backoff_s: float = 0.5) -> T:
    """Run `call`, retrying `TransientError`s with backoff (honouring Retry-After)."""
    retrying = Retrying(
        stop=stop_after_attempt(max_retries + 1), wait=_wait(backoff_s), reraise=True,
        retry=retry_if_exception(lambda e: isinstance(e, TransientError)),
    )
    return retrying(call)


def retry_after_seconds(headers: Any) -> float | None:
    """The delay-seconds form of a `Retry-After` header (None if absent or a date)."""
    value = headers.get("retry-after") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
