"""Rules tier: every rule in configs/rules.yaml with exact hits and near-misses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend.core.config import PROJECT_ROOT
from backend.logs.rules import Rule, RulesConfigError, RuleSet

RULES_FILE = PROJECT_ROOT / "configs" / "rules.yaml"

# rule name -> (label, lines it must match, near-misses it must not match)
CASES: dict[str, tuple[str, list[str], list[str]]] = {
    "user-login-logout": ("User Action",
        ["User User123 logged in.", "User bob logged out", "user ALICE logged in."],
        ["User a b logged in.", "User User123 logged in. twice", "User User123 logged on."]),
    "user-password-changed": ("User Action",
        ["User User77 changed their password.", "User bob changed their password"],
        ["User bob changed his password.", "User bob failed to change their password."]),
    "account-created": ("User Action",
        ["Account with ID 42 created by admin.", "Account with ID A-7 created by User9"],
        ["Account with ID 42 deleted by admin.", "Account 42 created by admin."]),
    "file-transfer-by-user": ("User Action",
        ["File report.pdf uploaded successfully by user User9.",
         "File data_2024.csv downloaded by user bob"],
        ["File report.pdf upload failed for user User9.",
         "File report.pdf uploaded by admin User9."]),
    "profile-updated": ("User Action",
        ["Profile updated by user User41.", "Profile updated by user jane"],
        ["Profile update failed for user User41.", "Profile updated by admin."]),
    "report-exported": ("User Action",
        ["Report Q3-sales exported by user User5.", "Report r123 exported by user bob"],
        ["Report Q3-sales export failed for user User5.", "Report exported by user bob."]),
    "backup-lifecycle": ("System Notification",
        ["Backup started at 2025-05-14 07:06:55.", "Backup ended at 2025-05-14 07:06:55.",
         "Backup completed successfully.", "Backup started"],
        ["Backup failed.", "Backup completed with 3 errors."]),
    "system-updated": ("System Notification",
        ["System updated to version 3.4.1.", "System updated to version v2-rc1"],
        ["System update to version 3.4.1 failed", "System updated to version"]),
    "disk-cleanup": ("System Notification",
        ["Disk cleanup completed successfully.", "Disk cleanup completed successfully"],
        ["Disk cleanup failed.", "Disk cleanup completed with warnings."]),
    "reboot-initiated": ("System Notification",
        ["System reboot initiated by user User12.", "System reboot initiated by user root"],
        ["System reboot initiated.", "System reboot failed for user User12."]),
    "cache-cleared": ("System Notification",
        ["Cache cleared for session store.", "Cache cleared for api-gateway."],
        ["Cache cleared for session store", "Cache clear failed for session store."]),
    "certificate-renewed": ("System Notification",
        ["Certificate for api.example.com renewed, valid until 2026-05-01.",
         "Certificate for mail renewed, valid until 2027-01-31"],
        ["Certificate for api.example.com expired on 2026-05-01.",
         "Certificate for api.example.com renewal failed."]),
    "scheduled-job-completed": ("System Notification",
        ["Scheduled job nightly-etl completed.", "Scheduled job report.daily completed"],
        ["Scheduled job nightly-etl failed.", "Scheduled job nightly etl completed with errors."]),
    "service-restarted": ("System Notification",
        ["Service auth-api restarted successfully.", "Service nginx restarted successfully"],
        ["Service auth-api restarted after crash.", "Service auth-api failed to restart."]),
    "deprecation-notice": ("Deprecation Warning",
        ["API v1 is deprecated; migrate to v2 by March.",
         "Python 2 connectors reach end-of-life on 2025-06-30",
         "Classic reports will be retired after the Q4 release",
         "TLS 1.0 endpoints are being phased out", "DeprecationWarning: use load_all()"],
        ["Retired worker pool drained (3 tasks moved)", "Support ticket 42 removed by admin",
         "Deprecating lock acquired on table orders"]),
}


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet.from_yaml(RULES_FILE)


def test_every_rule_in_the_file_has_cases(rules: RuleSet) -> None:
    assert [r.name for r in rules.rules] == list(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_rule_matches_exact_strings(rules: RuleSet, name: str) -> None:
    label, hits, _ = CASES[name]
    for line in hits:
        rule = rules.match("ModernCRM", line)
        assert rule is not None and rule.name == name, line
        assert rule.label == label


@pytest.mark.parametrize("name", list(CASES))
def test_rule_ignores_near_misses(rules: RuleSet, name: str) -> None:
    for line in CASES[name][2]:
        assert rules.match("ModernCRM", line) is None, line


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rule_scoped_to_sources_only_fires_there(tmp_path: Path) -> None:
    rules = RuleSet.from_yaml(_write(tmp_path, """
rules:
  - name: crm-only
    pattern: 'ticket \\d+ closed'
    label: User Action
    sources: [ModernCRM, LegacyCRM]
"""))
    assert rules.match("ModernCRM", "Ticket 12 closed").label == "User Action"
    assert rules.match("LegacyCRM", "ticket 9 closed").name == "crm-only"
    assert rules.match("BillingSystem", "Ticket 12 closed") is None
    assert rules.match("", "Ticket 12 closed") is None


def test_first_matching_rule_wins(tmp_path: Path) -> None:
    rules = RuleSet.from_yaml(_write(tmp_path, """
rules:
  - name: specific
    pattern: 'disk \\d+ failed'
    label: Critical Error
  - name: generic
    pattern: 'failed'
    label: Error
"""))
    assert rules.match("x", "Disk 3 failed").name == "specific"
    assert rules.match("x", "Job failed").name == "generic"
    assert rules.labels == {"Critical Error", "Error"}


def test_scoped_rule_does_not_shadow_later_rule_for_other_sources(tmp_path: Path) -> None:
    rules = RuleSet.from_yaml(_write(tmp_path, """
rules:
  - {name: a, pattern: 'failed', label: Workflow Error, sources: [LegacyCRM]}
  - {name: b, pattern: 'failed', label: Error}
"""))
    assert rules.match("LegacyCRM", "step failed").name == "a"
    assert rules.match("ModernCRM", "step failed").name == "b"


def test_back_reference_rule_matches_after_rules_with_groups() -> None:
    rules = RuleSet([Rule("grouped", re.compile(r"(x)y", re.I), "A"),
                     Rule("repeat", re.compile(r"\b(\w+) \1\b", re.I), "B")])
    matched = rules.match("s", "the the cat")
    assert matched is not None and matched.name == "repeat"


@pytest.mark.parametrize(("text", "fragment"), [
    ("rules: [\n  - name: x\n    pattern: 'a'\n", "cannot read rules file"),
    ("rules:\n  - name: no-label\n    pattern: 'a'\n", "'no-label'"),
    ("rules:\n  - name: no-pattern\n    label: Error\n", "pattern"),
    ("rules:\n  - name: bad-regex\n    pattern: 'a(b'\n    label: Error\n", "invalid regex"),
])
def test_malformed_rules_raise_config_error(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(RulesConfigError, match=re.escape(fragment)):
        RuleSet.from_yaml(_write(tmp_path, text))


def test_missing_rules_file_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(RulesConfigError, match="cannot read"):
        RuleSet.from_yaml(tmp_path / "absent.yaml")


def test_empty_rules_file_matches_nothing(tmp_path: Path) -> None:
    rules = RuleSet.from_yaml(_write(tmp_path, ""))
    assert rules.rules == [] and rules.match("x", "User a logged in.") is None
