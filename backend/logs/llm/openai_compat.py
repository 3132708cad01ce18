"""Any OpenAI-compatible chat endpoint (Ollama, vLLM, OpenAI, ...) over httpx."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from backend.logs.llm.base import (
    SYSTEM_PROMPT,
    LLMAnswer,
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
            response = self._client.post("chat/completions", json=body)
        except httpx.TimeoutException as exc:
            raise TransientLLMError(f"LLM endpoint timed out ({exc.__class__.__name__})") from exc
        except httpx.TransportError as exc:
            raise TransientLLMError(f"LLM endpoint unreachable: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientLLMError(f"LLM endpoint answered HTTP {response.status_code}",
                                    retry_after_seconds(response.headers))
        if response.status_code >= 400:
            raise RuntimeError(f"LLM endpoint refused the request: HTTP {response.status_code}")
        try:
            return str(response.json()["choices"][0]["message"]["content"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise RuntimeError("LLM endpoint sent a malformed chat completion") from exc

    def classify(self, items: Sequence[LLMItem], labels: Sequence[str]) -> list[LLMAnswer]:
        return classify_each(items, lambda item: self._complete(item, labels), labels,
                             self.max_retries, self.backoff_s)

    def close(self) -> None:
        self._client.close()
