"""LLM faults through the whole API: every row still answered, bounded latency, no leaks.

The OpenAI-compatible double on 127.0.0.1 injects timeouts, 429 with Retry-After,
500s, truncated and non-JSON bodies and slow drips; rows routed to the LLM
(source LegacyCRM) must come back `Unclassified` with a reason when it failed.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.utils.llm_doubles import (
    Behaviour,
    OpenAIDouble,
    answer,
    drip,
    malformed_body,
    rate_limited,
    server_error,
    slow,
    text_answer,
    truncated,
)

TIMEOUT_S = 0.5
RETRIES = 1
BACKOFF_S = 0.5  # the providers' default first backoff
# Worst case per LLM call: every attempt times out, plus the backoff between them.
CALL_BOUND_S = TIMEOUT_S * (RETRIES + 1) + BACKOFF_S + 1.5

ROWS = [("LegacyCRM", "Lead conversion failed for prospect ID 7842 due to missing contact."),
        ("ModernCRM", "User User123 logged in."),
        ("BillingSystem", "Payment service crashed with exit code 137")]

FAULTS: dict[str, tuple[list[Behaviour], str]] = {
    "timeout": ([slow(3.0)] * 2, "timed out"),
    "429-twice": ([rate_limited(0.2)] * 2, "HTTP 429"),
    "500-twice": ([server_error(500)] * 2, "HTTP 500"),
    "503-twice": ([server_error(503)] * 2, "HTTP 503"),
    "truncated-body": ([truncated(25)] * 2, "LLM"),
    "html-body": ([malformed_body()], "malformed"),
    "answer-not-json": ([text_answer("Sure! It looks like a workflow error.")], "not JSON"),
    "off-label": ([answer("Banana Split")], "not an allowed label"),
    "slow-drip": ([drip(0.02)] * 2, "LLM"),
}


@pytest.fixture
def llm_client(client_for: Any, openai_double: OpenAIDouble) -> Any:
    return client_for(LLM_PROVIDER="openai_compat", OPENAI_BASE_URL=openai_double.base_url,
                      LLM_TIMEOUT_S=TIMEOUT_S, LLM_MAX_RETRIES=RETRIES, RATE_LIMIT="off",
                      LLM_CACHE_SIZE=0)


def _classify(client: Any) -> tuple[list[dict[str, Any]], float]:
    body = {"logs": [{"source": s, "log_message": m} for s, m in ROWS]}
    started = time.perf_counter()
    response = client.post("/v1/logs/classify", json=body)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    return response.json()["predictions"], elapsed


@pytest.mark.parametrize("fault", list(FAULTS))
def test_llm_fault_leaves_every_row_answered(llm_client: Any, openai_double: OpenAIDouble,
                                             fault: str) -> None:
    behaviours, reason_part = FAULTS[fault]
    openai_double.script(*behaviours)
    predictions, elapsed = _classify(llm_client)
    assert [p["log_message"] for p in predictions] == [m for _, m in ROWS]
    llm_row = predictions[0]
    assert llm_row["label"] == "Unclassified" and llm_row["tier"] == "llm"
    assert reason_part in (llm_row["reason"] or ""), llm_row["reason"]
    assert all(p["label"] != "Unclassified" for p in predictions[1:])  # other tiers unharmed
    assert elapsed < CALL_BOUND_S, f"{fault}: {elapsed:.2f}s"
    metrics = llm_client.get("/metrics").text
    if reason_part not in ("not JSON", "not an allowed label"):
        assert "sift_llm_errors_total 1.0" in metrics


def test_retry_after_is_honoured_then_answer_used(llm_client: Any,
                                                  openai_double: OpenAIDouble) -> None:
    openai_double.script(rate_limited(1.0), answer("Workflow Error", 0.95))
    predictions, elapsed = _classify(llm_client)
    assert predictions[0]["label"] == "Workflow Error"
    assert 1.0 <= elapsed < 1.0 + CALL_BOUND_S
    assert len(openai_double.requests) == 2


@pytest.mark.slow
def test_fault_storm_leaks_no_threads(llm_client: Any, openai_double: OpenAIDouble) -> None:
    """Two identical rounds of every fault: the second may not leave more threads behind."""
    def one_round() -> int:
        for behaviours, _ in FAULTS.values():
            openai_double.script(*behaviours)
            _classify(llm_client)
        deadline = time.monotonic() + 4
        count = threading.active_count()
        while time.monotonic() < deadline:  # handler threads of abandoned calls wind down
            time.sleep(0.5)
            count = min(count, threading.active_count())
        return count

    first = one_round()
    second = one_round()
    assert second <= first + 1, [t.name for t in threading.enumerate()]
