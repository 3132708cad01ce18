import random
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from backend.logs.rules import RuleSet
from training.logs.generator import LABELS, SOURCES, TEMPLATES, generate_logs, render
from training.logs.vocab import TIME_SLOTS

EXPECTED_COLUMNS = ["timestamp", "source", "log_message", "target_label", "template_id",
                    "complexity"]
LEGACY_LABELS = {"Workflow Error", "Deprecation Warning"}
RULES_PATH = Path(__file__).resolve().parents[2] / "configs" / "rules.yaml"
# Minimum non-regex templates per label: enough that a held-out template has relatives.
MIN_TEMPLATES = {"HTTP Status": 55, "Resource Usage": 55, "Security Alert": 55,
                 "Critical Error": 55, "Error": 55, "User Action": 45,
                 "System Notification": 45, "Workflow Error": 40, "Deprecation Warning": 40}
MODEL_LABELS = [label for label in MIN_TEMPLATES if label not in LEGACY_LABELS]


@pytest.fixture(scope="module")
def logs() -> pd.DataFrame:
    return generate_logs(n=6000, seed=42)


def test_same_seed_gives_identical_frame(logs):
    pd.testing.assert_frame_equal(logs, generate_logs(n=6000, seed=42))


def test_different_seed_gives_different_frame(logs):
    other = generate_logs(n=6000, seed=7)
    assert not logs.equals(other)
    assert (logs["log_message"] != other["log_message"]).mean() > 0.9


def test_columns_exact_and_ordered(logs):
    assert list(logs.columns) == EXPECTED_COLUMNS
    assert len(logs) == 6000


def test_all_labels_and_sources_present(logs):
    assert set(logs["target_label"]) == set(LABELS)
    assert set(logs["source"]) == set(SOURCES)
    assert len(SOURCES) == 7
    assert len(LABELS) == 9


def test_no_empty_messages_and_no_unfilled_slots(logs):
    messages = logs["log_message"]
    assert messages.str.strip().str.len().gt(0).all()
    # An unfilled "{slot}" would mean a template/slot mismatch.
    assert not messages.str.contains(r"\{[a-z_0-9]+\}", regex=True).any()


def test_legacy_crm_only_carries_legacy_labels(logs):
    legacy = logs[logs["source"] == "LegacyCRM"]
    assert set(legacy["target_label"]) == LEGACY_LABELS
    assert set(logs.loc[logs["target_label"].isin(LEGACY_LABELS), "source"]) == {"LegacyCRM"}


def test_complexity_matches_tier(logs):
    assert set(logs["complexity"]) == {"regex", "model", "llm"}
    assert (logs.loc[logs["source"] == "LegacyCRM", "complexity"] == "llm").all()
    regex_labels = set(logs.loc[logs["complexity"] == "regex", "target_label"])
    assert regex_labels == {"User Action", "System Notification"}
    assert (logs.loc[logs["source"] != "LegacyCRM", "complexity"] != "llm").all()


def test_every_label_has_at_least_12_templates(logs):
    per_label = logs.groupby("target_label")["template_id"].nunique()
    assert (per_label >= 12).all(), per_label.to_dict()


def test_catalogue_meets_template_minimums():
    counts = {label: sum(t.complexity != "regex" for t in templates)
              for label, templates in TEMPLATES.items()}
    short = {label: counts[label] for label, low in MIN_TEMPLATES.items() if counts[label] < low}
    assert not short, short


@pytest.mark.parametrize("label", MODEL_LABELS)
def test_model_labels_span_format_families(label):
    # Each label appears as JSON, as key=value and with a bracketed or syslog-style
    # prefix, so that no format on its own stands for one label.
    texts = [t.text for t in TEMPLATES[label] if t.complexity == "model"]
    json_like = sum(text.startswith("{{") for text in texts)
    key_value = sum(len(re.findall(r"\b[\w.]+=\{", text)) >= 2 for text in texts)
    prefixed = sum(bool(re.match(r"\[[\w\- ]+\]", text)
                        or re.search(r"\w\[\{pid\}\]:|systemd\[1\]:|kernel:", text))
                   for text in texts)
    assert min(json_like, key_value, prefixed) >= 3, (json_like, key_value, prefixed)


def test_rules_never_give_a_model_line_another_label():
    rules = RuleSet.from_yaml(RULES_PATH)
    rng = random.Random(5)
    when = datetime(2025, 8, 2, 14, 0, 1)
    for label, templates in TEMPLATES.items():
        for template in (t for t in templates if t.complexity != "regex"):
            source = template.sources[0] if template.sources else "ModernCRM"
            for _ in range(5):
                message = render(template.text, rng, when)
                rule = rules.match(source, message)
                assert rule is None or rule.label == label, (template.template_id, message)


def test_epoch_slots_ignore_the_local_time_zone():
    assert TIME_SLOTS["epoch"](datetime(2025, 1, 1)) == "1735689600"
    assert TIME_SLOTS["epoch_ms"](datetime(2025, 1, 1, 0, 0, 1)) == "1735689601000"


def test_template_id_maps_to_one_label(logs):
    labels_per_template = logs.groupby("template_id")["target_label"].nunique()
    assert (labels_per_template == 1).all()
    assert logs["template_id"].str.fullmatch(r"[a-z_]+/[a-z0-9_]+").all()


def test_template_ids_unique_in_catalogue():
    ids = [t.template_id for templates in TEMPLATES.values() for t in templates]
    assert len(ids) == len(set(ids))


def test_every_template_renders():
    rng = random.Random(0)
    when = datetime(2025, 5, 17, 9, 30, 12)
    for templates in TEMPLATES.values():
        for template in templates:
            message = render(template.text, rng, when)
            assert message.strip()
            assert not re.search(r"\{[a-z_0-9]+\}", message), template.template_id


def test_variables_vary_within_a_template(logs):
    # Templates with slots should produce several distinct messages.
    counts = logs.groupby("template_id")["log_message"].nunique()
    assert (counts > 1).mean() > 0.95


def test_label_shares_roughly_match(logs):
    shares = logs["target_label"].value_counts(normalize=True)
    assert shares["HTTP Status"] == pytest.approx(0.22, abs=0.01)
    assert shares["Workflow Error"] == pytest.approx(0.05, abs=0.01)


def test_timestamps_iso_in_2025_and_mostly_increasing(logs):
    times = pd.to_datetime(logs["timestamp"], format="ISO8601")
    assert times.dt.year.eq(2025).all()
    assert (times.diff().dt.total_seconds().dropna() >= 0).mean() > 0.8


def test_small_n_and_zero():
    assert generate_logs(n=0).empty
    small = generate_logs(n=50, seed=1)
    assert len(small) == 50
    assert list(small.columns) == EXPECTED_COLUMNS
