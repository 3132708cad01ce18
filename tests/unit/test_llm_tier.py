"""LLM tier (budget, cache, dedup by template) and the offline nearest-neighbour provider."""

from __future__ import annotations

import numpy as np
import pytest

from backend.embedding.embedder import Embedder
from backend.logs.llm.base import LLMItem
from backend.logs.llm.nearest import NearestExampleProvider
from backend.logs.llm.openai_compat import OpenAICompatProvider
from backend.logs.llm.tier import LLMTier
from backend.logs.model import LogModel
from tests.utils.llm_doubles import OpenAIDouble, answer, server_error

LABELS = ["Workflow Error", "Deprecation Warning"]


def _tier(double: OpenAIDouble, budget: int = 50, cache_size: int = 100) -> LLMTier:
    provider = OpenAICompatProvider(double.base_url, "m", None, timeout_s=5.0, max_retries=0)
    return LLMTier(provider, LABELS, cache_size=cache_size, budget=budget)


def _items(*messages: str, source: str = "LegacyCRM") -> list[LLMItem]:
    return [LLMItem(source, m) for m in messages]


def test_lines_of_one_template_share_one_call(openai_double: OpenAIDouble) -> None:
    openai_double.script(answer("Workflow Error", 0.9), answer("Deprecation Warning", 0.8))
    tier = _tier(openai_double)
    answers = tier.classify(_items("Order 17 failed at step 2.", "Module X is deprecated.",
                                   "Order 9931 failed at step 5."))
    assert [a.label for a in answers] == ["Workflow Error", "Deprecation Warning",
                                          "Workflow Error"]
    assert len(openai_double.requests) == 2
    assert tier.calls == 2


def test_same_template_from_another_source_is_asked_separately(
        openai_double: OpenAIDouble) -> None:
    openai_double.script(answer("Workflow Error"), answer("Workflow Error"))
    tier = _tier(openai_double)
    tier.classify([LLMItem("LegacyCRM", "Order 1 failed."), LLMItem("OtherCRM", "Order 2 failed.")])
    assert len(openai_double.requests) == 2


def test_cache_avoids_a_second_call(openai_double: OpenAIDouble) -> None:
    openai_double.script(answer("Deprecation Warning", 0.85))
    tier = _tier(openai_double)
    first = tier.classify(_items("API v1 is deprecated since 2024-01-01."))
    second = tier.classify(_items("API v7 is deprecated since 2025-03-09."))
    assert first == second
    assert second[0].label == "Deprecation Warning"
    assert len(openai_double.requests) == 1 and tier.calls == 1


def test_failures_are_not_cached(openai_double: OpenAIDouble) -> None:
    openai_double.script(server_error(500), answer("Workflow Error", 0.9))
    tier = _tier(openai_double)
    (failed,) = tier.classify(_items("Order 1 failed."))
    (retried,) = tier.classify(_items("Order 1 failed."))
    assert failed.label is None and "500" in (failed.reason or "")
    assert retried.label == "Workflow Error"
    assert len(openai_double.requests) == 2


def test_budget_exhaustion_declines_the_rest_with_reason(openai_double: OpenAIDouble) -> None:
    openai_double.script(answer("Workflow Error"), answer("Deprecation Warning"))
    tier = _tier(openai_double, budget=2)
    answers = tier.classify(_items("Order 1 failed.", "Module Y is deprecated.",
                                   "Invoice approval halted.", "Case escalation failed.",
                                   "Order 2 failed."))
    assert [a.label for a in answers] == ["Workflow Error", "Deprecation Warning", None, None,
                                          "Workflow Error"]
    assert answers[2].reason == answers[3].reason == "LLM call budget of 2 per request exhausted"
    assert len(openai_double.requests) == 2


def test_budget_is_per_request_and_overridable(openai_double: OpenAIDouble) -> None:
    openai_double.script(answer("Workflow Error"), answer("Workflow Error"))
    tier = _tier(openai_double, budget=5)
    first = tier.classify(_items("Order 1 failed.", "Case escalation failed."), budget=1)
    assert first[0].label == "Workflow Error" and first[1].label is None
    second = tier.classify(_items("Order 1 failed.", "Case escalation failed."), budget=1)
    assert [a.label for a in second] == ["Workflow Error", "Workflow Error"]  # cached + 1 call
    assert len(openai_double.requests) == 2


def test_zero_budget_makes_no_remote_call(openai_double: OpenAIDouble) -> None:
    tier = _tier(openai_double, budget=0)
    (result,) = tier.classify(_items("Order 1 failed."))
    assert result.label is None and "budget of 0" in (result.reason or "")
    assert openai_double.requests == []


# --- offline provider: nearest labelled examples -----------------------------------------


@pytest.fixture(scope="module")
def offline(embedder: Embedder, tiny_model: LogModel) -> NearestExampleProvider:
    return NearestExampleProvider(embedder, tiny_model.example_vectors, tiny_model.example_labels,
                           tiny_model.example_sources, k=3)


def test_offline_picks_label_of_nearest_examples(offline: NearestExampleProvider) -> None:
    workflow, deprecation = offline.classify(_items(
        "Lead conversion failed for prospect ID 9911 due to missing contact information.",
        "The 'InvoiceExporter' module will be retired in version 6.0; migrate to 'BillingHub'."),
        LABELS)
    assert workflow.label == "Workflow Error" and workflow.confidence > 0.5
    assert deprecation.label == "Deprecation Warning" and deprecation.confidence > 0.5


def test_offline_compares_a_source_with_its_own_examples(offline: NearestExampleProvider) -> None:
    line = "Payment service crashed with exit code 139"
    all_labels = ["Error", *LABELS]
    (billing,) = offline.classify([LLMItem("BillingSystem", line)], all_labels)
    (legacy,) = offline.classify([LLMItem("LegacyCRM", line)], all_labels)
    assert billing.label == "Error"
    # LegacyCRM's own examples are workflow and deprecation lines: its nearest is a failure
    assert legacy.label == "Workflow Error"


def test_offline_only_answers_allowed_labels(offline: NearestExampleProvider) -> None:
    (result,) = offline.classify(_items("Lead conversion failed for prospect ID 1."),
                                 ["Deprecation Warning"])
    assert result.label == "Deprecation Warning"  # the nearest (Workflow Error) is not allowed


def test_offline_declines_when_nothing_is_similar(embedder: Embedder,
                                                   tiny_model: LogModel) -> None:
    strict = NearestExampleProvider(embedder, tiny_model.example_vectors, tiny_model.example_labels,
                             tiny_model.example_sources, k=3, min_similarity=0.95)
    (result,) = strict.classify(_items("zebra quantum marmalade"), LABELS)
    assert result.label is None and "no similar labelled example" in (result.reason or "")


def test_offline_without_examples_declines(embedder: Embedder) -> None:
    empty = NearestExampleProvider(embedder, np.zeros((0, 384), dtype=np.float32), [])
    (result,) = empty.classify(_items("anything"), LABELS)
    assert result.label is None and "no labelled examples" in (result.reason or "")


def test_offline_provider_is_not_budgeted(offline: NearestExampleProvider) -> None:
    tier = LLMTier(offline, LABELS, budget=0)
    (result,) = tier.classify(_items("Case escalation for ticket 7 failed: agent inactive."))
    assert result.label == "Workflow Error"
    assert tier.calls == 0
