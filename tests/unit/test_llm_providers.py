"""Gemini and OpenAI-compatible providers against local doubles of their wire formats."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from backend.logs.llm.base import LLMItem, LLMProvider
from backend.logs.llm.gemini import GeminiProvider
from backend.logs.llm.openai_compat import OpenAICompatProvider
from tests.utils.llm_doubles import (
    Behaviour,
    GeminiDouble,
    LLMDouble,
    OpenAIDouble,
    RecordedRequest,
    answer,
    malformed_body,
    off_label,
    rate_limited,
    server_error,
    slow,
    text_answer,
)

LABELS = ["Workflow Error", "Deprecation Warning"]
ITEM = LLMItem("LegacyCRM", "Lead conversion failed for prospect ID 7842.")
API_KEY = "test-key-123"


@dataclass
class Remote:
    """A double plus a way to build the provider that talks to it."""

    kind: str
    double: LLMDouble
    make: Callable[..., LLMProvider]

    def prompt(self, request: RecordedRequest) -> str:
        body = request.json()
        if self.kind == "gemini":
            return " ".join(p["text"] for c in body["contents"] for p in c["parts"])
        return " ".join(m["content"] for m in body["messages"])

    def label_enum(self, request: RecordedRequest) -> list[str]:
        body = request.json()
        if self.kind == "gemini":
            schema = body["generationConfig"]["responseSchema"]
        else:
            schema = body["response_format"]["json_schema"]["schema"]
        return list(schema["properties"]["label"]["enum"])

    def sent_key(self, request: RecordedRequest) -> str | None:
        if self.kind == "gemini":
            return request.headers.get("x-goog-api-key")
        auth = request.headers.get("authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None


def _gemini_factory(double: LLMDouble) -> Callable[..., LLMProvider]:
    def make(timeout_s: float = 5.0, max_retries: int = 2) -> LLMProvider:
        return GeminiProvider(API_KEY, "gemini-test", double.url, timeout_s, max_retries,
                              backoff_s=0.01)
    return make


def _openai_factory(double: LLMDouble) -> Callable[..., LLMProvider]:
    def make(timeout_s: float = 5.0, max_retries: int = 2) -> LLMProvider:
        return OpenAICompatProvider(f"{double.url}/v1", "llama-test", API_KEY, timeout_s,
                                    max_retries, backoff_s=0.01)
    return make


@pytest.fixture(params=["gemini", "openai_compat"])
def remote(request: pytest.FixtureRequest) -> Iterator[Remote]:
    if request.param == "gemini":
        with GeminiDouble() as double:
            yield Remote("gemini", double, _gemini_factory(double))
    else:
        with OpenAIDouble() as double:
            yield Remote("openai_compat", double, _openai_factory(double))


def test_answer_maps_to_label_and_confidence(remote: Remote) -> None:
    remote.double.script(answer("Deprecation Warning", 0.8), answer("workflow ERROR", 0.7))
    provider = remote.make()
    first, second = provider.classify([ITEM, ITEM], LABELS)
    assert (first.label, first.confidence, first.reason) == ("Deprecation Warning", 0.8, None)
    assert (second.label, second.confidence) == ("Workflow Error", 0.7)


def test_request_carries_key_labels_and_schema(remote: Remote) -> None:
    remote.double.script(answer("Workflow Error"))
    remote.make().classify([ITEM], LABELS)
    (request,) = remote.double.requests
    assert request.method == "POST"
    if remote.kind == "gemini":
        assert GeminiDouble.model_of(request) == "gemini-test"
    else:
        assert request.path == "/v1/chat/completions"
        assert request.json()["model"] == "llama-test"
    assert remote.sent_key(request) == API_KEY
    prompt = remote.prompt(request)
    assert all(f'"{label}"' in prompt for label in LABELS)
    assert ITEM.message in prompt and ITEM.source in prompt
    assert remote.label_enum(request) == [*LABELS, "Unclassified"]


def test_429_then_success_honours_retry_after(remote: Remote) -> None:
    remote.double.script(rate_limited(retry_after_s=1), answer("Workflow Error", 0.9))
    provider = remote.make(max_retries=2)
    started = time.monotonic()
    (result,) = provider.classify([ITEM], LABELS)
    elapsed = time.monotonic() - started
    assert result.label == "Workflow Error"
    assert len(remote.double.requests) == 2
    assert elapsed >= 0.9, "the Retry-After of 1 s was not honoured (backoff alone is 10 ms)"


def test_500_until_retries_exhausted_declines_with_reason(remote: Remote) -> None:
    remote.double.script(*[server_error(500)] * 3, answer("Workflow Error"))
    (result,) = remote.make(max_retries=2).classify([ITEM], LABELS)
    assert result.label is None and result.confidence == 0.0
    assert "500" in (result.reason or "")
    assert len(remote.double.requests) == 3  # 1 try + 2 retries, then it gave up


def test_timeout_declines_with_reason(remote: Remote) -> None:
    remote.double.script(slow(1.5), slow(1.5))
    provider = remote.make(timeout_s=0.3, max_retries=1)
    started = time.monotonic()
    (result,) = provider.classify([ITEM], LABELS)
    assert result.label is None
    assert "timed out" in (result.reason or "")
    assert len(remote.double.requests) == 2
    assert time.monotonic() - started < 2.9  # waiting out both answers would take 3 s


def test_non_json_answer_declines_with_reason(remote: Remote) -> None:
    remote.double.script(text_answer("I think it is a workflow error!"))
    (result,) = remote.make().classify([ITEM], LABELS)
    assert result.label is None
    assert "not JSON" in (result.reason or "")


def test_malformed_envelope_declines_with_reason(remote: Remote) -> None:
    remote.double.script(malformed_body())
    (result,) = remote.make(max_retries=0).classify([ITEM], LABELS)
    assert result.label is None
    assert (result.reason or "").startswith("LLM call failed")


def test_off_label_answer_declines_with_reason(remote: Remote) -> None:
    remote.double.script(off_label("Banana Split", 0.99))
    (result,) = remote.make().classify([ITEM], LABELS)
    assert (result.label, result.confidence) == (None, 0.0)
    assert "'Banana Split', not an allowed label" in (result.reason or "")


def test_unclassified_answer_declines_with_reason(remote: Remote) -> None:
    remote.double.script(answer("Unclassified", 0.6))
    (result,) = remote.make().classify([ITEM], LABELS)
    assert result.label is None and "no fitting label" in (result.reason or "")


def test_client_error_is_not_retried(remote: Remote) -> None:
    remote.double.script(server_error(400), answer("Workflow Error"))
    (result,) = remote.make(max_retries=3).classify([ITEM], LABELS)
    assert result.label is None and "400" in (result.reason or "")
    assert len(remote.double.requests) == 1


def test_one_failed_item_does_not_sink_the_batch(remote: Remote) -> None:
    remote.double.script(server_error(503), answer("Deprecation Warning", 0.95))
    other = LLMItem("LegacyCRM", "Module X will be retired in version 5.")
    first, second = remote.make(max_retries=0).classify([ITEM, other], LABELS)
    assert first.label is None and "503" in (first.reason or "")
    assert second.label == "Deprecation Warning"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("kind", ["gemini", "openai_compat"])
def test_unreachable_endpoint_declines_with_reason(kind: str) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    provider: Any
    if kind == "gemini":
        provider = GeminiProvider(API_KEY, "gemini-test", url, 2.0, 1, backoff_s=0.01)
    else:
        provider = OpenAICompatProvider(f"{url}/v1", "m", None, 2.0, 1, backoff_s=0.01)
    (result,) = provider.classify([ITEM], LABELS)
    assert result.label is None and "unreachable" in (result.reason or "")


def test_openai_without_key_sends_no_authorization(openai_double: OpenAIDouble) -> None:
    openai_double.script(answer("Workflow Error"))
    provider = OpenAICompatProvider(openai_double.base_url, "m", None, 5.0, 0)
    (result,) = provider.classify([ITEM], LABELS)
    assert result.label == "Workflow Error"
    assert "authorization" not in openai_double.requests[0].headers


def test_gemini_blocked_answer_without_candidates_declines(gemini_double: GeminiDouble) -> None:
    blocked = b'{"candidates": [], "promptFeedback": {"blockReason": "SAFETY"}}'
    gemini_double.script(Behaviour(raw=blocked))
    provider = GeminiProvider(API_KEY, "gemini-test", gemini_double.url, 5.0, 0)
    (result,) = provider.classify([ITEM], LABELS)
    assert result.label is None and "empty answer" in (result.reason or "")
