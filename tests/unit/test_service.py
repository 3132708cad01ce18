"""Settings pick the tiers and providers: the classifier built from them, against doubles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backend.embedding.embedder import CachedEmbedder, Embedder, GeminiEmbedder
from backend.embedding.service import build_embedder
from backend.logs.llm.base import UNCLASSIFIED
from backend.logs.model import LogModel
from backend.logs.service import build_classifier
from tests.utils.factories import make_settings
from tests.utils.llm_doubles import GeminiDouble, OpenAIDouble, answer, server_error

LEGACY = ("LegacyCRM", "Invoice approval workflow halted at step 3 for order 5521.")
RULE = ("ModernCRM", "User bob logged in.")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, tiny_model: LogModel) -> Path:
    folder = tmp_path_factory.mktemp("tiny-model")
    tiny_model.save_pretrained(folder)
    return folder


def test_gemini_provider_from_settings(model_dir: Path, embedder: Embedder,
                                       gemini_double: GeminiDouble) -> None:
    gemini_double.script(answer("Workflow Error", 0.93))
    settings = make_settings(LLM_PROVIDER="gemini", GEMINI_API_KEY="g-key",
                             GEMINI_BASE_URL=gemini_double.url, GEMINI_MODEL="gemini-x")
    classifier = build_classifier(settings, model_dir, "v5", embedder)
    legacy, rule = classifier.classify([LEGACY, RULE])
    assert (legacy.label, legacy.confidence, legacy.tier) == ("Workflow Error", 0.93, "llm")
    assert legacy.model_version == "v5" and rule.tier == "rules"
    (request,) = gemini_double.requests
    assert GeminiDouble.model_of(request) == "gemini-x"
    assert request.headers["x-goog-api-key"] == "g-key"
    enum = request.json()["generationConfig"]["responseSchema"]["properties"]["label"]["enum"]
    assert set(enum) == {*classifier.model.labels, UNCLASSIFIED}


def test_openai_provider_from_settings_failure_gives_reason(
        model_dir: Path, embedder: Embedder, openai_double: OpenAIDouble) -> None:
    openai_double.script(server_error(502), server_error(502))
    settings = make_settings(LLM_PROVIDER="openai_compat", OPENAI_BASE_URL=openai_double.base_url,
                             OPENAI_API_KEY="o-key", LLM_MAX_RETRIES=1)
    classifier = build_classifier(settings, model_dir, "v1", embedder)
    (legacy,) = classifier.classify([LEGACY])
    assert legacy.label == UNCLASSIFIED and legacy.tier == "llm"
    assert "502" in (legacy.reason or "")
    assert [r.headers["authorization"] for r in openai_double.requests] == ["Bearer o-key"] * 2


def test_call_budget_from_settings(model_dir: Path, embedder: Embedder,
                                   openai_double: OpenAIDouble) -> None:
    openai_double.script(answer("Workflow Error"))
    settings = make_settings(LLM_PROVIDER="openai_compat", OPENAI_BASE_URL=openai_double.base_url,
                             LLM_CALL_BUDGET=1)
    classifier = build_classifier(settings, model_dir, "v1", embedder)
    stalled = ("LegacyCRM", "Approval chain for quote 88 stalled at step 3.")
    first, second = classifier.classify([LEGACY, stalled])
    assert first.label == "Workflow Error"
    assert second.label == UNCLASSIFIED and "budget of 1" in (second.reason or "")


def test_remote_provider_without_key_is_refused(model_dir: Path, embedder: Embedder) -> None:
    with pytest.raises(ValueError, match="GEMINI_API_KEY"):
        build_classifier(make_settings(LLM_PROVIDER="gemini"), model_dir, "v1", embedder)


def test_llm_sources_and_switches_from_settings(model_dir: Path, embedder: Embedder) -> None:
    billing = ("BillingSystem", "Invoice approval workflow halted at step 2 for order 7.")
    routed = build_classifier(make_settings(LLM_SOURCES=["BillingSystem"]), model_dir, "v1",
                              embedder)
    assert [p.tier for p in routed.classify([billing, LEGACY])] == ["llm", "model"]
    no_llm = build_classifier(make_settings(LLM_ENABLED=False), model_dir, "v1", embedder)
    assert no_llm.llm is None and no_llm.classify([LEGACY])[0].tier == "model"
    no_rules = build_classifier(make_settings(RULES_ENABLED=False), model_dir, "v1", embedder)
    assert no_rules.rules is None and no_rules.classify([RULE])[0].tier == "model"
    strict = build_classifier(make_settings(CONFIDENCE_THRESHOLD=0.99), model_dir, "v1",
                              embedder)
    assert strict.threshold_for() == 0.99


def test_gemini_embedder_from_settings(gemini_double: GeminiDouble) -> None:
    settings = make_settings(EMBEDDER="gemini", GEMINI_API_KEY="g-key",
                             GEMINI_BASE_URL=gemini_double.url)
    embedder = build_embedder(settings)
    assert isinstance(embedder, CachedEmbedder) and isinstance(embedder.inner, GeminiEmbedder)
    vectors = embedder.embed(["disk <num> failed", "user <user> logged in.",
                              "disk <num> failed"])
    assert vectors.shape == (3, 768) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(vectors[0], vectors[2])
    embedder.embed(["user <user> logged in."])
    (request,) = gemini_double.requests  # the repeat and the second call came from the cache
    assert request.path.endswith("/models/gemini-embedding-001:batchEmbedContents")
    assert len(request.json()["requests"]) == 2


def test_model_trained_on_other_embeddings_is_refused(model_dir: Path,
                                                      gemini_double: GeminiDouble) -> None:
    settings = make_settings(EMBEDDER="gemini", GEMINI_API_KEY="k",
                             GEMINI_BASE_URL=gemini_double.url)
    with pytest.raises(ValueError, match="trained on all-MiniLM-L6-v2 embeddings"):
        build_classifier(settings, model_dir, "v1")


def test_low_confidence_llm_answer_is_unclassified_with_best_guess(
        model_dir: Path, embedder: Embedder, openai_double: OpenAIDouble) -> None:
    openai_double.script(answer("Deprecation Warning", 0.3))
    settings = make_settings(LLM_PROVIDER="openai_compat", OPENAI_BASE_URL=openai_double.base_url,
                             LLM_MIN_CONFIDENCE=0.6)
    (legacy,) = build_classifier(settings, model_dir, "v1", embedder).classify([LEGACY])
    assert (legacy.label, legacy.confidence, legacy.tier) == (UNCLASSIFIED, 0.3, "llm")
    assert legacy.reason == "LLM confidence 0.30 below 0.60 (best guess: Deprecation Warning)"
