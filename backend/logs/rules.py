"""Rules tier: ordered regex rules from YAML, optionally scoped to sources."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

_BACKREF = re.compile(r"\\[1-9]|\(\?P=")


class RulesConfigError(ValueError):
    """The rules file is malformed; the message names the rule and the problem."""


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    label: str
    sources: frozenset[str] | None = None

    def applies(self, source: str, message: str) -> bool:
        if self.sources is not None and source not in self.sources:
            return False
        return self.pattern.search(message) is not None


class RuleSet:
    """First match wins; a combined pattern rejects most lines in one scan."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self._any = None
        # numbered back-references would point at another rule's group once combined
        if self.rules and not any(_BACKREF.search(r.pattern.pattern) for r in self.rules):
            try:
                self._any = re.compile(
                    "|".join(f"(?:{r.pattern.pattern})" for r in self.rules), re.IGNORECASE)
            except re.error:  # e.g. back-references: fall back to rule-by-rule
                self._any = None

    @classmethod
    def from_yaml(cls, path: Path) -> RuleSet:
        try:
            doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise RulesConfigError(f"cannot read rules file {path}: {exc}") from exc
        rules = []
        for i, item in enumerate(doc.get("rules") or []):
            name = str(item.get("name") or f"rule-{i + 1}")
            missing = [k for k in ("pattern", "label") if not item.get(k)]
            if missing:
                raise RulesConfigError(f"rule {name!r} in {path} lacks {', '.join(missing)}")
            try:
                pattern = re.compile(str(item["pattern"]), re.IGNORECASE)
            except re.error as exc:
                raise RulesConfigError(f"rule {name!r}: invalid regex: {exc}") from exc
            sources = item.get("sources")
            rules.append(Rule(name, pattern, str(item["label"]),
                              frozenset(map(str, sources)) if sources else None))
        return cls(rules)

    @property
    def labels(self) -> set[str]:
        return {r.label for r in self.rules}

    def match(self, source: str, message: str) -> Rule | None:
        if self._any is not None and self._any.search(message) is None:
            return None
        for rule in self.rules:
            if rule.applies(source, message):
                return rule
        return None
