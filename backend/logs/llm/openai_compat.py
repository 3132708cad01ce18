"""Any OpenAI-compatible chat endpoint (Ollama, vLLM, OpenAI, ...) over httpx."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import httpx

from backend.logs.llm.base import (
    SYSTEM_PROMPT,
    LLMAnswer,
    LLMCallError,
    LLMItem,
    TransientLLMError,
    answer_schema,
    build_prompt,
    classify_each,
    retry_after_seconds,
)


class OpenAICompatProvider:
    name = "openai_compat"
    remote = True

    def __init__(self, base_url: str, model: str, api_key: str | None = None,
                 timeout_s: float = 20.0, max_retries: int = 3, backoff_s: float = 0.5) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/") + "/", headers=headers,
                                    timeout=timeout_s)
        self.model = model
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s

    def _complete(self, item: LLMItem, labels: Sequence[str]) -> str | None:
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                         {"role": "user", "content": build_prompt(item, labels)}],
            "response_format": {"type": "json_schema", "json_schema": {
                "name": "log_label", "schema": answer_schema(labels)}},
        }
        try:
            status, headers, content = self._post_within_deadline(body)
        except httpx.TimeoutException as exc:
            raise TransientLLMError(f"LLM endpoint timed out ({exc.__class__.__name__})") from exc
        except httpx.TransportError as exc:
            raise TransientLLMError(f"LLM endpoint unreachable ({type(exc).__name__})") from exc
        if status == 429 or status >= 500:
            raise TransientLLMError(f"LLM endpoint answered HTTP {status}",
                                    retry_after_seconds(headers))
        if status >= 400:
            raise LLMCallError(f"LLM endpoint refused the request: HTTP {status}")
        try:
            return str(json.loads(content)["choices"][0]["message"]["content"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMCallError("LLM endpoint sent a malformed chat completion") from exc

    def _post_within_deadline(self, body: dict[str, Any]) -> tuple[int, httpx.Headers, bytes]:
        """POST and read the whole reply within `timeout_s` in total: httpx's timeout is per
        read, so a server dripping bytes would otherwise hold the call open indefinitely."""
        deadline = time.monotonic() + self.timeout_s
        with self._client.stream("POST", "chat/completions", json=body) as response:
            chunks = []
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout(f"no complete answer within {self.timeout_s:g} s")
            return response.status_code, response.headers, b"".join(chunks)

    def classify(self, items: Sequence[LLMItem], labels: Sequence[str]) -> list[LLMAnswer]:
        return classify_each(items, lambda item: self._complete(item, labels), labels,
                             self.max_retries, self.backoff_s)

    def close(self) -> None:
        self._client.close()
