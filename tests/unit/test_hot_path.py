"""The known-line hot path: rule answers cached by line shape are exactly the uncached ones."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from backend.core.config import PROJECT_ROOT
from backend.embedding.embedder import Embedder
from backend.logs.batch import classify_batch
from backend.logs.classifier import ClassifierOptions, LogClassifier
from backend.logs.model import LogModel
from backend.logs.rules import Rule, RuleSet
from backend.logs.service import build_classifier
from tests.utils.factories import make_settings
from training.logs.generator import generate_logs

RULES = RuleSet.from_yaml(PROJECT_ROOT / "configs" / "rules.yaml")
LOGHUB = PROJECT_ROOT.parent / "shared" / "data" / "loghub"


def _lines() -> list[tuple[str, str]]:
    """Generated lines (many rule hits, numbers everywhere) plus every Loghub sample line."""
    frame = generate_logs(n=2000, seed=11)
    lines = list(zip(frame["source"], frame["log_message"], strict=True))
    for path in sorted(LOGHUB.glob("*_structured.csv")):
        content = pd.read_csv(path, dtype=str, keep_default_na=False)["Content"]
        lines += [(path.name.split("_")[0], line) for line in content]
    lines += [("ModernCRM", "User User123 logged in."), ("ModernCRM", "User User987 logged in."),
              ("X", "Backup started at 2025-05-14 07:06:55."), ("X", "API v9 is deprecated")]
    return lines


def _classifier(model: LogModel, embedder: Embedder, rules: RuleSet) -> LogClassifier:
    return LogClassifier(model, embedder, rules, None, ClassifierOptions())


def test_shipped_rules_are_digit_blind() -> None:
    assert RULES.digit_blind


def test_cached_rule_answers_equal_uncached(tiny_model: LogModel, embedder: Embedder) -> None:
    lines = _lines()
    sources, messages = [s for s, _ in lines], [m for _, m in lines]
    expected = [RULES.match(s, m) for s, m in lines]
    assert sum(r is not None for r in expected) > 100  # the check covers real rule hits
    clf = _classifier(tiny_model, embedder, RULES)
    assert clf._rule_matches(sources, messages) == expected
    assert clf._rule_matches(sources, messages) == expected  # now from the cache
    assert clf.rule_cache.hits >= len(lines)


def test_rule_that_tells_digits_apart_is_not_cached(tiny_model: LogModel,
                                                    embedder: Embedder) -> None:
    rules = RuleSet([Rule("5xx", re.compile(r"status 5\d\d", re.I), "Error")])
    assert not rules.digit_blind
    clf = _classifier(tiny_model, embedder, rules)
    lines = [("S", "status 500 on GET /a"), ("S", "status 200 on GET /a")] * 2
    matched = clf._rule_matches([s for s, _ in lines], [m for _, m in lines])
    assert [r.name if r else None for r in matched] == ["5xx", None, "5xx", None]
    assert len(clf.rule_cache) == 0


def test_rule_cache_is_per_source(tiny_model: LogModel, embedder: Embedder) -> None:
    rules = RuleSet([Rule("crm", re.compile("closed", re.I), "User Action",
                          frozenset({"ModernCRM"}))])
    clf = _classifier(tiny_model, embedder, rules)
    matched = clf._rule_matches(["ModernCRM", "Billing", "ModernCRM"], ["ticket 1 closed"] * 3)
    assert [r is not None for r in matched] == [True, False, True]


@pytest.mark.parametrize(("pattern", "blind"), [
    (r"^User \w+ logged (?:in|out)\.?$", True), (r"[\d\-: T]+", True), (r"[0-9a-f]+", True),
    (r"a{2,3}", True), (r"0x\d+", True), (r"(?=\w)x", True),
    (r"status 5\d\d", False), (r"[0-4]", False), (r"[^5]", False), (r"x\{2}", False),
    (r"\x35", False), (r"\N{DIGIT FIVE}", False), (r"(\d)\1", False), (r"(a)?(?(1)b|c)", False),
])
def test_digit_blind_detects_patterns_that_tell_digits_apart(pattern: str, blind: bool) -> None:
    rules = RuleSet([Rule("r", re.compile(pattern, re.I), "L")])
    assert rules.digit_blind is blind
    if blind:  # and it really is: folding the digits never changes the answer
        for text in ("x 123 a 9-8 status 503 0x5f aa", "User u7 logged in", "5", "55 x{2}"):
            folded = text.translate(str.maketrans("23456789", "11111111"))
            assert (rules.match("s", text) is None) == (rules.match("s", folded) is None)


def test_anchored_and_floating_rules_keep_file_order() -> None:
    rules = RuleSet([Rule("floating", re.compile("failed", re.I), "Error"),
                     Rule("anchored", re.compile(r"^Job \d+ failed$", re.I), "Critical Error"),
                     Rule("later", re.compile(r"^Disk full", re.I), "Resource Usage"),
                     Rule("alt", re.compile(r"^a|timeout", re.I), "Error")])
    assert rules.match("s", "Job 7 failed").name == "floating"
    assert rules.match("s", "disk full on /var").name == "later"
    assert rules.match("s", "x disk full") is None
    assert rules.match("s", "request timeout").name == "alt"  # top-level | is not anchored


def _answers(predictions: list) -> list[tuple]:
    return [(p.source, p.log_message, p.label, p.confidence, p.tier, p.reason,
             getattr(p, "stage", None)) for p in predictions]


@pytest.mark.slow
def test_batch_answers_equal_row_by_row_answers(default_model_dir, embedder: Embedder) -> None:
    """Grouping rows by digit shape changes no answer: every row of Loghub, generated lines
    (rules, LegacyCRM for the LLM tier) and odd cells, each through a fresh classifier."""
    lines = _lines()[::6] + [(" ModernCRM ", "User User5 logged in."), ("X", None),
                        ("X", float("nan")), ("X", "  "), (None, "Disk 7 full"),
                        ("Y", "Job 12 failed " + "x" * 5000)]
    sources, messages = [s for s, _ in lines], [m for _, m in lines]
    settings = make_settings()

    def fresh() -> LogClassifier:
        return build_classifier(settings, default_model_dir, default_model_dir.name, embedder)

    expected = _answers(fresh().classify(lines))
    batch = classify_batch(fresh(), sources, messages)
    assert len(batch.distinct) < len(lines) // 2  # the grouping really groups
    assert _answers(batch.predictions(sources, messages)) == expected
    assert list(batch.column("label")) == [row[2] for row in expected]
    assert [p.tier for p in batch.rows()] == [row[4] for row in expected]


def test_digit_sensitive_rules_group_rows_by_exact_text(tiny_model: LogModel,
                                                       embedder: Embedder) -> None:
    rules = RuleSet([Rule("5xx", re.compile(r"status 5\d\d", re.I), "Error")])
    clf = _classifier(tiny_model, embedder, rules)
    batch = classify_batch(clf, ["S", "S", "S"], ["status 500", "status 200", "status 500"])
    assert [p.tier for p in batch.rows()][:1] == ["rules"]
    assert batch.index.tolist() == [0, 1, 0]
    assert classify_batch(_classifier(tiny_model, embedder, RULES), ["S", "S"],
                          ["disk 500 full", "disk 200 full"]).index.tolist() == [0, 0]
