"""The provider protocol, the prompt and answer parsing; retries are `backend.core.retry`."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from backend.core.labels import UNCLASSIFIED as UNCLASSIFIED  # re-exported
from backend.core.quota import abandoned
from backend.core.retry import TransientError, with_retries
from backend.core.retry import retry_after_seconds as retry_after_seconds  # re-exported

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LLMItem:
    source: str
    message: str


@dataclass(frozen=True)
class LLMAnswer:
    """`label` is None when the provider could not or would not decide; `reason` says why."""

    label: str | None
    confidence: float
    reason: str | None = None
    transient: bool = False  # a failed call, budget or quota: asked again next time


class LLMProvider(Protocol):
    """Classifies log lines into one of `labels` (or declines)."""

    name: str
    remote: bool  # remote calls count against the per-request budget

    def classify(self, items: Sequence[LLMItem], labels: Sequence[str]) -> list[LLMAnswer]: ...


class TransientLLMError(TransientError):
    """Worth retrying (429, 5xx, timeout); `retry_after` in seconds when the server said."""


class LLMCallError(RuntimeError):
    """A refused or malformed call; the message is ours and safe to show a client."""


SYSTEM_PROMPT = (
    "You classify single log lines from business and IT systems. Answer with JSON only: "
    '{"label": <one of the allowed labels, or "Unclassified" if none fits>, '
    '"confidence": <number between 0 and 1>}.'
)


def build_prompt(item: LLMItem, labels: Sequence[str]) -> str:
    allowed = ", ".join(f'"{label}"' for label in labels)
    return (f"Allowed labels: {allowed}, \"{UNCLASSIFIED}\".\n"
            f"Source system: {item.source}\nLog line: {item.message}")


def answer_schema(labels: Sequence[str]) -> dict[str, Any]:
    """JSON schema that constrains the answer to the label set."""
    return {
        "type": "object",
        "properties": {
            "label": {"type": "string", "enum": [*labels, UNCLASSIFIED]},
            "confidence": {"type": "number"},
        },
        "required": ["label", "confidence"],
    }


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)


def parse_answer(text: str | None, labels: Sequence[str]) -> LLMAnswer:
    """Read the model's JSON; anything off the label set becomes a declined answer."""
    if not text or not text.strip():
        return LLMAnswer(None, 0.0, "LLM returned an empty answer")
    try:
        data = json.loads(_FENCE.sub("", text.strip()))
    except json.JSONDecodeError:
        return LLMAnswer(None, 0.0, f"LLM answer is not JSON: {text[:80]!r}")
    if not isinstance(data, dict) or not isinstance(data.get("label"), str):
        return LLMAnswer(None, 0.0, "LLM answer lacks a 'label' string")
    by_lower = {label.lower(): label for label in labels}
    label = by_lower.get(data["label"].strip().lower())
    try:
        confidence = min(max(float(data.get("confidence", 0.0)), 0.0), 1.0)
    except (TypeError, ValueError):
        confidence = 0.0
    if label is None:
        if data["label"].strip().lower() == UNCLASSIFIED.lower():
            return LLMAnswer(None, confidence, "LLM found no fitting label")
        return LLMAnswer(None, 0.0, f"LLM answered {data['label'][:40]!r}, not an allowed label")
    return LLMAnswer(label, confidence)


def classify_each(items: Sequence[LLMItem], call: Callable[[LLMItem], str | None],
                  labels: Sequence[str], max_retries: int, backoff_s: float) -> list[LLMAnswer]:
    """One remote call per item with retries; a failed call declines that item only."""
    answers = []
    for item in items:
        if abandoned():  # the client already got its 504: spend nothing more on it
            answers.append(LLMAnswer(None, 0.0, "request abandoned after REQUEST_TIMEOUT_S",
                                     transient=True))
            continue
        try:
            text = with_retries(lambda i=item: call(i), max_retries, backoff_s)  # type: ignore[misc]
            answers.append(parse_answer(text, labels))
        except Exception as exc:  # one bad call must not sink the batch
            # provider text (and anything else unexpected) goes to the log, not to clients
            logger.warning("LLM call failed: %r (cause: %r)", exc, exc.__cause__)
            safe = (str(exc) if isinstance(exc, TransientError | LLMCallError)
                    else f"{type(exc).__name__}; details in the service log")
            answers.append(LLMAnswer(None, 0.0, f"LLM call failed: {safe}", transient=True))
    return answers
