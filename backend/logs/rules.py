"""Rules tier: ordered regex rules from YAML, optionally scoped to sources."""

from __future__ import annotations

import re
import re._parser as sre_parse  # the stdlib's own pattern parser (no public equivalent)
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

_BACKREF = re.compile(r"\\[1-9]|\(\?P=")
_FOLDED_DIGITS = range(ord("1"), ord("9") + 1)  # what the classifier folds to "1" (see digit_blind)


class RulesConfigError(ValueError):
    """The rules file is malformed; the message names the rule and the problem."""


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    label: str
    sources: frozenset[str] | None = None
    excluded: frozenset[str] = frozenset()  # sources the rule is disabled for (RULES_DISABLED)

    def applies(self, source: str, message: str) -> bool:
        if self.sources is not None and source not in self.sources:
            return False
        if source in self.excluded:
            return False
        return self.pattern.search(message) is not None


class RuleSet:
    """First match wins; combined patterns reject most lines in one scan: rules anchored
    at the start are tried at position 0 only, the others searched."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self._any: list[tuple[re.Pattern[str], bool]] | None = None
        # numbered back-references would point at another rule's group once combined
        if self.rules and not any(_BACKREF.search(r.pattern.pattern) for r in self.rules):
            anchored = [r for r in self.rules if _anchored(r.pattern)]
            floating = [r for r in self.rules if not _anchored(r.pattern)]
            try:
                self._any = [(_combined(group), group is anchored)
                             for group in (anchored, floating) if group]
            except re.error:  # e.g. inline flags: fall back to rule-by-rule
                self._any = None
        self.digit_blind = all(_digit_blind(r.pattern) for r in self.rules)
        """True when no rule tells the digits 1-9 apart, so a line's answer does not change
        when they are folded to "1" (the classifier caches rule answers by that shape)."""

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

    def without(self, disabled: Mapping[str, Sequence[str]]) -> RuleSet:
        """These rules minus the ones disabled per scope: {"*": [names]} drops a rule,
        {source: [names]} turns it off for that source (e.g. where corrections
        contradict it). Unknown names are refused, so a typo does not pass silently."""
        if not disabled:
            return self
        names = {r.name for r in self.rules}
        unknown = sorted({n for ns in disabled.values() for n in ns} - names)
        if unknown:
            raise RulesConfigError(f"RULES_DISABLED names unknown rules {unknown}; "
                                   f"known: {sorted(names)}")
        dropped = set(disabled.get("*", ()))
        kept = []
        for rule in self.rules:
            if rule.name in dropped:
                continue
            off = frozenset(s for s, ns in disabled.items() if s != "*" and rule.name in ns)
            kept.append(replace(rule, excluded=rule.excluded | off) if off else rule)
        return RuleSet(kept)

    def match(self, source: str, message: str) -> Rule | None:
        if self._any is not None and not any(
                (pattern.match(message) if at_start else pattern.search(message))
                for pattern, at_start in self._any):
            return None
        for rule in self.rules:
            if rule.applies(source, message):
                return rule
        return None


def _combined(rules: Sequence[Rule]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{r.pattern.pattern})" for r in rules), re.IGNORECASE)


def _anchored(pattern: re.Pattern[str]) -> bool:
    """The pattern can only match at position 0: it starts with `^` (no MULTILINE) and has
    no top-level alternative (a top-level `|` parses as one BRANCH item)."""
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except re.error:
        return False
    if parsed.state.flags & re.MULTILINE or not len(parsed):
        return False
    op, arg = parsed[0]
    return op is sre_parse.AT and arg in (sre_parse.AT_BEGINNING, sre_parse.AT_BEGINNING_STRING)


def _digit_blind(pattern: re.Pattern[str]) -> bool:
    """No literal digit 1-9, no character range covering only part of them, no
    back-reference: the pattern treats the digits 1-9 alike. Unknown syntax -> False."""
    try:
        return _items_blind(sre_parse.parse(pattern.pattern, pattern.flags))
    except (re.error, TypeError, ValueError):
        return False


def _items_blind(items: object) -> bool:
    c = sre_parse
    for op, arg in items:  # type: ignore[attr-defined]
        if op in (c.LITERAL, c.NOT_LITERAL):
            blind = arg not in _FOLDED_DIGITS
        elif op is c.IN:
            blind = _set_blind(arg)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            blind = _items_blind(arg[2])
        elif op is c.SUBPATTERN:
            blind = _items_blind(arg[3])
        elif op is c.BRANCH:
            blind = all(_items_blind(branch) for branch in arg[1])
        elif op in (c.ASSERT, c.ASSERT_NOT):
            blind = _items_blind(arg[1])
        elif op is c.ATOMIC_GROUP:
            blind = _items_blind(arg)
        else:  # GROUPREF and GROUPREF_EXISTS compare text; unknown syntax is not trusted
            blind = op in (c.ANY, c.AT, c.CATEGORY)
        if not blind:
            return False
    return True


def _set_blind(items: object) -> bool:
    c = sre_parse
    for op, arg in items:  # type: ignore[attr-defined]
        if op is c.LITERAL:
            if arg in _FOLDED_DIGITS:
                return False
        elif op is c.RANGE:
            covered = len(set(range(arg[0], arg[1] + 1)) & set(_FOLDED_DIGITS))
            if 0 < covered < len(_FOLDED_DIGITS):
                return False
        elif op not in (c.CATEGORY, c.NEGATE):
            return False
    return True
