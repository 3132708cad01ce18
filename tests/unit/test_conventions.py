"""Learning a team's conventions (issue 17): rules disabled per scope, agreement with a
labelled file, the neighbour rule chosen on held-out corrections, weighted corrections and
rules that corrections contradict."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from backend.core.agreement import agreement
from backend.feedback.memory import ADMIN_AUTHOR, MemoryEntry
from backend.logs.memory import MemorySnapshot, choose_rule
from backend.logs.rules import Rule, RulesConfigError, RuleSet
from tests.utils.factories import make_settings
from training.logs.retrain import contradicted_rules, with_weight

RULES = RuleSet([Rule("login", re.compile(r"logged in", re.I), "User Action"),
                 Rule("backup", re.compile(r"^backup", re.I), "System Notification")])


def test_rules_disabled_per_source_and_globally():
    per_source = RULES.without({"BillingSystem": ["login"]})
    assert per_source.match("BillingSystem", "User 7 logged in") is None
    assert per_source.match("ModernCRM", "User 7 logged in").name == "login"
    dropped = RULES.without({"*": ["backup"]})
    assert dropped.match("ModernCRM", "Backup started") is None
    assert RULES.without({}) is RULES
    with pytest.raises(RulesConfigError, match="unknown rules"):
        RULES.without({"x": ["logn"]})


def test_agreement_figures_confusion_and_disagreements_first():
    given = ["Error", "Error", "Security Alert", None, "", "Critical Error"]
    predicted = ["Error", "Critical Error", "Security Alert", "Error", "Error", "Unclassified"]
    figures = agreement(given, predicted, "target_label")
    assert figures["labelled_rows"] == 4  # blank labels are not judged
    assert figures["accuracy"] == 0.5 and figures["coverage"] == 0.75
    assert figures["disagreements"] == [1, 5]
    labels = figures["labels"]
    cell = figures["confusion"][labels.index("Error")][labels.index("Critical Error")]
    assert cell == 1 and sum(map(sum, figures["confusion"])) == 4
    # macro-F1 over the file's labels: Error 2/3, Security Alert 1, Critical Error 0
    assert figures["macro_f1"] == round((2 / 3 + 1 + 0) / 3, 4)
    assert agreement([None], ["Error"], "target_label")["accuracy"] is None


def _entry(i: int, scope: str, label: str) -> MemoryEntry:
    """An admin's correction: it answers everyone (a writer's answers its own requests)."""
    return MemoryEntry(i, scope, f"key {i}", label, "v1", None, "", None, author=ADMIN_AUTHOR)


def test_neighbour_rule_is_chosen_on_held_out_corrections_or_not_at_all():
    # two tight clusters of corrections; the model is unsure (below its threshold: it would
    # abstain) and wrong on all of them
    rng = np.random.default_rng(0)
    centres = np.eye(8)[:2]
    vectors = np.vstack([centres[i % 2] + 0.05 * rng.normal(size=8) for i in range(12)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    entries = [_entry(i, "S", ("Error", "Resource Usage")[i % 2]) for i in range(12)]
    model = {e.key: ("HTTP Status", 0.45) for e in entries}
    rule = choose_rule(entries, vectors, model, threshold=0.5)
    assert rule is not None and rule.accuracy_with == 1.0 and rule.accuracy_without == 0.0
    assert rule.similarity >= 0.9  # the strictest threshold that gets them all
    # the model is right (if unsure) and the clusters mix labels: following would only
    # lose answers, so no rule
    noisy = [_entry(i, "S", ("Error", "Resource Usage")[(i // 2) % 2]) for i in range(12)]
    right = {e.key: (e.label, 0.55) for e in noisy}
    assert choose_rule(noisy, vectors, right, threshold=0.5) is None
    # too few corrections to choose anything
    assert choose_rule(entries[:4], vectors[:4], model, threshold=0.5) is None


def test_neighbours_never_cross_sources():
    vectors = np.tile(np.eye(4)[0], (10, 1)).astype(np.float32)
    entries = [_entry(i, "A", "Error") for i in range(10)]
    snapshot = MemorySnapshot(entries, (10, 0))
    index = snapshot.neighbours("v1", lambda keys: np.tile(np.eye(4)[0], (len(keys), 1)),
                                lambda keys: dict.fromkeys(keys, ("HTTP Status", 0.5)), 0.6)
    assert index is not None and len(vectors) == 10
    unit = lambda keys: np.tile(np.eye(4)[0], (len(keys), 1))  # noqa: E731
    near = index.nearest([("A", "new key"), ("B", "new key")], unit)
    assert near[0] is not None and near[0][0].scope == "A" and near[1] is None


def test_corrections_are_weighted_and_contradicted_rules_reported(tmp_path):
    train = pd.DataFrame({"source": ["S"] * 3, "log_message": ["a", "b", "User 1 logged in"],
                          "target_label": ["Error", "Error", "Security Alert"],
                          "template_id": ["t1", "t2", "feedback-abcd"]})
    weighted = with_weight(train, 5)
    assert len(weighted) == 7 and (weighted["template_id"] == "feedback-abcd").sum() == 5
    assert with_weight(train, 1) is train
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: login\n    pattern: 'logged in'\n"
                     "    label: User Action\n", encoding="utf-8")
    report = contradicted_rules(make_settings(RULES_PATH=rules), train)
    assert report == [{"rule": "login", "source": "S", "rule_label": "User Action",
                       "corrections": 1, "corrected_to": ["Security Alert"],
                       "disable_with": 'RULES_DISABLED={"S": ["login"]}'}]
