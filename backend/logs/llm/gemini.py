"""Gemini through the official google-genai SDK, JSON output constrained to the labels."""

from __future__ import annotations

from collections.abc import Sequence

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


class GeminiProvider:
    name = "gemini"
    remote = True

    def __init__(self, api_key: str, model: str = "gemini-2.5-flash", base_url: str | None = None,
                 timeout_s: float = 20.0, max_retries: int = 3, backoff_s: float = 0.5) -> None:
        from google import genai
        from google.genai import errors, types

        options = types.HttpOptions(
            base_url=base_url, timeout=int(timeout_s * 1000),
            retry_options=types.HttpRetryOptions(attempts=1),  # our own policy below
        )
        self._client = genai.Client(api_key=api_key, http_options=options)
        self._types = types
        self._errors = errors
        self.model = model
        self.max_retries = max_retries
        self.backoff_s = backoff_s

    def _generate(self, item: LLMItem, labels: Sequence[str]) -> str | None:
        config = self._types.GenerateContentConfig(
            system_instruction=SYSTEM_PROMPT, temperature=0.0,
            response_mime_type="application/json", response_schema=answer_schema(labels),
        )
        try:
            response = self._client.models.generate_content(
                model=self.model, contents=build_prompt(item, labels), config=config)
        except self._errors.APIError as exc:
            if exc.code == 429 or (exc.code or 0) >= 500:
                headers = getattr(exc.response, "headers", None)
                raise TransientLLMError(f"Gemini answered HTTP {exc.code}",
                                        retry_after_seconds(headers)) from exc
            raise LLMCallError(f"Gemini refused the request: HTTP {exc.code}") from exc
        except Exception as exc:
            if "timeout" in type(exc).__name__.lower() or isinstance(exc, httpx.TimeoutException):
                raise TransientLLMError("Gemini timed out") from exc
            if "connect" in type(exc).__name__.lower():
                raise TransientLLMError(f"Gemini unreachable ({type(exc).__name__})") from exc
            raise
        return response.text

    def classify(self, items: Sequence[LLMItem], labels: Sequence[str]) -> list[LLMAnswer]:
        return classify_each(items, lambda item: self._generate(item, labels), labels,
                             self.max_retries, self.backoff_s)
