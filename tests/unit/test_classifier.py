"""The router: every row answered in order, through rules -> model -> LLM, with reasons."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from backend.core.config import PROJECT_ROOT
from backend.core.normalize import template_key
from backend.embedding.embedder import CachedEmbedder, Embedder
from backend.logs.classifier import ClassifierOptions, LogClassifier, summarize
from backend.logs.llm.base import UNCLASSIFIED
from backend.logs.llm.nearest import NearestExampleProvider
from backend.logs.llm.openai_compat import OpenAICompatProvider
from backend.logs.llm.tier import LLMTier
from backend.logs.model import LogModel
from backend.logs.rules import RuleSet
from tests.utils.llm_doubles import OpenAIDouble, server_error

RULES = RuleSet.from_yaml(PROJECT_ROOT / "configs" / "rules.yaml")

RULE_LINE = ("ModernCRM", "User User123 logged in.")
MODEL_LINE = ("BillingSystem", "Payment service crashed with exit code 137")
LEGACY_LINE = ("LegacyCRM", "Lead conversion failed for prospect ID 5120 due to missing "
                            "contact information.")


def _classifier(embedder: Embedder, model: LogModel, llm: LLMTier | None = None,
                **options: object) -> LogClassifier:
    if llm is None:
        llm = LLMTier(NearestExampleProvider(embedder, model.example_vectors, model.example_labels,
                                      model.example_sources, k=3), model.labels)
    return LogClassifier(model, embedder, RULES, llm, ClassifierOptions(**options))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def classifier(embedder: Embedder, tiny_model: LogModel) -> LogClassifier:
    return _classifier(embedder, replace(tiny_model, version="v-test"))


def test_every_row_is_answered_in_order(classifier: LogClassifier) -> None:
    records = [MODEL_LINE, RULE_LINE, ("AnalyticsEngine", ""), LEGACY_LINE,
               ("ComputeCloud", "Claim successful: memory 512 MB, disk 1 GB, vcpus 1"),
               RULE_LINE, ("ThirdPartyAPI", None)]
    predictions = classifier.classify(records)
    assert len(predictions) == len(records)
    assert [(p.source, p.log_message) for p in predictions] == [
        (s, m if m is not None else "") for s, m in records]
    assert [p.tier for p in predictions] == ["model", "rules", "none", "llm", "model", "rules",
                                             "none"]
    assert predictions[0].label == "Error"
    assert predictions[3].label == "Workflow Error"
    assert predictions[4].label == "Resource Usage"
    assert {p.model_version for p in predictions} == {"v-test"}


def test_rule_hit_has_full_confidence(classifier: LogClassifier) -> None:
    (prediction,) = classifier.classify([RULE_LINE])
    assert (prediction.label, prediction.confidence, prediction.tier, prediction.reason) == (
        "User Action", 1.0, "rules", None)


@pytest.mark.parametrize("message", ["", "   ", "\t\n", None, math.nan, "NaN", "nan", " null ",
                                     "N/A"])
def test_empty_or_nan_message_is_unclassified_with_reason(classifier: LogClassifier,
                                                          message: object) -> None:
    (prediction,) = classifier.classify([("ModernCRM", message)])
    assert prediction.label == UNCLASSIFIED
    assert prediction.tier == "none" and prediction.confidence == 0.0
    assert prediction.reason == "empty log_message"


def test_nan_source_is_read_as_empty(classifier: LogClassifier) -> None:
    (prediction,) = classifier.classify([(math.nan, "User bob logged out")])
    assert prediction.source == "" and prediction.tier == "rules"


def test_rules_come_before_llm_routing(classifier: LogClassifier) -> None:
    """DESIGN order: a fixed pattern is answered by its rule whatever the source; the
    LLM-routed source's other lines still go to the LLM."""
    ruled, other = classifier.classify([("LegacyCRM", "User bob logged in."), LEGACY_LINE])
    assert (ruled.tier, ruled.label, ruled.confidence) == ("rules", "User Action", 1.0)
    assert other.tier == "llm"


def test_low_confidence_is_unclassified_with_reason(classifier: LogClassifier) -> None:
    (prediction,) = classifier.classify([MODEL_LINE], threshold=0.999)
    assert prediction.label == UNCLASSIFIED and prediction.tier == "model"
    assert 0.0 < prediction.confidence < 0.999
    assert "below threshold 1.00" in (prediction.reason or "")
    assert "best guess: Error" in (prediction.reason or "")


def test_threshold_override_per_call_and_per_options(embedder: Embedder,
                                                     tiny_model: LogModel) -> None:
    lenient = _classifier(embedder, tiny_model)
    (p,) = lenient.classify([MODEL_LINE], threshold=0.0)
    assert p.label == "Error" and p.reason is None
    strict = _classifier(embedder, tiny_model, threshold=0.999)
    assert strict.threshold_for() == 0.999
    assert strict.threshold_for(0.1) == 0.1
    assert strict.classify([MODEL_LINE])[0].label == UNCLASSIFIED
    assert lenient.threshold_for() == tiny_model.head.threshold


def test_low_confidence_goes_to_llm_when_enabled(embedder: Embedder,
                                                 tiny_model: LogModel) -> None:
    clf = _classifier(embedder, tiny_model, llm_for_low_confidence=True, threshold=0.999)
    (prediction,) = clf.classify([("BillingSystem", "Invoice approval workflow halted at step 3 "
                                                    "for order 5521.")])
    assert prediction.tier == "llm"


def test_rules_disabled_sends_rule_lines_to_model(embedder: Embedder,
                                                  tiny_model: LogModel) -> None:
    clf = _classifier(embedder, tiny_model, rules_enabled=False)
    assert clf.classify([RULE_LINE])[0].tier == "model"


def test_model_disabled_gives_reason(embedder: Embedder, tiny_model: LogModel) -> None:
    clf = _classifier(embedder, tiny_model, model_enabled=False)
    rule, other = clf.classify([RULE_LINE, MODEL_LINE])
    assert rule.tier == "rules"
    assert other.label == UNCLASSIFIED and "model tier is disabled" in (other.reason or "")


def test_llm_disabled_sends_legacy_lines_to_rules_and_model(embedder: Embedder,
                                                            tiny_model: LogModel) -> None:
    clf = _classifier(embedder, tiny_model, llm_enabled=False)
    assert clf.classify([LEGACY_LINE])[0].tier == "model"


def test_llm_failure_is_unclassified_with_reason_and_row_kept(
        embedder: Embedder, tiny_model: LogModel, openai_double: OpenAIDouble) -> None:
    openai_double.script(server_error(500))
    provider = OpenAICompatProvider(openai_double.base_url, "m", None, 5.0, max_retries=0)
    clf = _classifier(embedder, tiny_model, llm=LLMTier(provider, tiny_model.labels))
    first, second = clf.classify([LEGACY_LINE, RULE_LINE])
    assert (first.label, first.tier) == (UNCLASSIFIED, "llm")
    assert "500" in (first.reason or "") and first.log_message == LEGACY_LINE[1]
    assert second.label == "User Action"


def test_identical_keys_are_embedded_once(embedder: Embedder, tiny_model: LogModel) -> None:
    cached = CachedEmbedder(embedder, maxsize=100)
    clf = LogClassifier(tiny_model, cached, None, None, ClassifierOptions())
    lines = [("S", f"Job {n} failed after {n * 3} retries") for n in range(5)]
    lines += [("S", f"Disk usage at {n}% on node {n}") for n in range(5)]
    clf.classify(lines)
    assert len(cached.cache) == len({template_key(m) for _, m in lines}) == 2
    assert cached.cache.misses == 2
    first = clf.classify(lines)
    # the second time the head's answers per key are reused: no embedding needed at all
    assert clf.classify(lines) == first
    assert cached.cache.hits == 0 and cached.cache.misses == 2
    assert clf.head_cache.hits == 4 and len(clf.head_cache) == 2  # two calls, two keys


def test_long_message_is_kept_whole_but_keyed_by_its_prefix(classifier: LogClassifier) -> None:
    message = "Payment service crashed with exit code 137 " + "x" * 100_000
    (prediction,) = classifier.classify([("BillingSystem", message)], threshold=0.0)
    assert prediction.log_message == message
    assert prediction.label != UNCLASSIFIED


def test_same_input_gives_same_output(classifier: LogClassifier) -> None:
    records = [MODEL_LINE, LEGACY_LINE, RULE_LINE]
    assert classifier.classify(records) == classifier.classify(records)


def test_summary_counts_coverage_tiers_and_labels(classifier: LogClassifier) -> None:
    predictions = classifier.classify([RULE_LINE, RULE_LINE, ("X", ""), MODEL_LINE],
                                      threshold=0.0)
    summary = summarize(predictions)
    assert summary["total"] == 4 and summary["classified"] == 3
    assert summary["coverage"] == 0.75
    assert summary["by_tier"] == {"rules": 2, "none": 1, "model": 1}
    assert summary["by_label"] == {"User Action": 2, UNCLASSIFIED: 1, "Error": 1}
    assert summarize([])["coverage"] == 0.0


def test_stated_level_is_read_only_by_models_trained_with_it(embedder: Embedder,
                                                             tiny_model: LogModel) -> None:
    """(source, message, level): a level-trained model keys the line with its level marker;
    another model ignores the level; rules still see the bare message (issue 18)."""
    line = "Disk usage at 91% on node 4"
    lines = [("S", line, "ERROR"), ("S", line, "INFO"),
             ("ModernCRM", "User User123 logged in.", "ERROR")]
    for reads_level, keys in ((True, 2), (False, 1)):
        model = replace(tiny_model, config={**tiny_model.config, "level_feature": reads_level})
        cached = CachedEmbedder(embedder, maxsize=100)
        clf = LogClassifier(model, cached, RULES, None, ClassifierOptions())
        answers = clf.classify(lines)
        assert len(cached.cache) == keys  # one key per stated level, or one for both
        assert answers[2].tier == "rules" and answers[2].label == "User Action"
        if reads_level:
            key = template_key(line)
            assert cached.cache.get(f"[lvl_error] {key}") is not None
            assert cached.cache.get(f"[lvl_info] {key}") is not None
