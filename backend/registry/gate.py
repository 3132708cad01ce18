"""The promotion gate of a retrain, written once for every model kind.

A candidate is scored next to the current version on the same held-out rows
(held-out base data, and a share of the user's corrections); it is published
only if it is not worse than the current version on either by more than the
tolerance. The log and task retrains both call `decide`, and both hold out
corrections with `is_heldout`.

The held-out base rows are the *protected* set (issue 19): generated/base data
that no client can write. Corrections never remove or relabel them, the score
on them (`accuracy`) must be present whenever the current version has one, and
a candidate that loses on it is refused - so feedback, however much of it,
cannot buy a promotion that hurts what the model already did right.

What the protected set *is* is a parameter, `JudgingSet`: held-out generated
templates (the default, what `decide` assumed before), or rows of authors the
figure's model never trained on (task-categorizer v2: each author left out in
turn). Given one, both figures must say they were measured on it
(`judged_on == judging.key`); a figure from another set is not compared.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

HOLDOUT_MIN_CORRECTIONS = 10  # below this every correction is trained on
HOLDOUT_EVERY = 5  # one correction in five (by hash) is held out
PROTECTED = "accuracy"  # the score on the protected held-out set (base data, no client rows)
GATED_FIGURES = ((PROTECTED, "protected held-out base"),
                 ("corrections_accuracy", "held-out corrections"))


@dataclass(frozen=True)
class JudgingSet:
    """The rows a candidate and the current version are judged on, named for reports.

    `key` identifies the exact rows and protocol (e.g. a hash of the authors' CSVs and
    the generator's seed); `description` says how the figure was measured."""

    name: str
    key: str
    description: str = ""

    def public(self) -> dict[str, str]:
        return asdict(self)


BASE_TEMPLATES = JudgingSet("held-out base templates", "base-templates",
                            "a seeded share of generated templates never trained on")


@dataclass
class RetrainReport:
    """What a retrain did and why; returned by the CLI and the API's job."""

    promoted: bool
    reason: str
    current_version: str | None
    candidate_version: str | None
    current: dict[str, Any] = field(default_factory=dict)
    candidate: dict[str, Any] = field(default_factory=dict)
    corrections: int = 0
    heldout_corrections: int = 0
    new_labels: list[str] = field(default_factory=list)
    mirrored: str | None = None  # where the promoted version was mirrored (Hub), if anywhere
    contradicted_rules: list[dict[str, Any]] = field(default_factory=list)  # logs only
    judged_on: dict[str, str] | None = None  # the JudgingSet, when not the base templates
    decided_by: dict[str, Any] | None = None  # which rows the figures were measured on

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_heldout(key_hex: str, total: int) -> bool:
    """Whether the correction with this hex hash key is held out for the gate."""
    return total >= HOLDOUT_MIN_CORRECTIONS and int(key_hex[:8], 16) % HOLDOUT_EVERY == 0


def worse(candidate: dict[str, Any], current: dict[str, Any], tolerance: float) -> str:
    """Why the candidate is worse than the current version, or '' when it is not. A log
    candidate with a cascade is scored through its cascade, so the cascade is what must not
    lose against the current version (its MiniLM-for-every-key figure is reported, not
    gated: the shipped v3 itself is 1.1 points below its own MiniLM figure on held-out
    templates, so gating on it would refuse every retrain of the shipped recipe)."""
    if not current:
        return ""
    if current.get(PROTECTED) is not None and candidate.get(PROTECTED) is None:
        return ("the candidate has no score on the protected held-out set (base data no "
                "client can write); refusing to promote without it")
    for key, what in GATED_FIGURES:
        c, b = candidate.get(key), current.get(key)
        # the noise floor only widens a lenient tolerance; a negative one (the candidate
        # must be better by that much) is a demand the noise must not cancel
        allowed = (tolerance if tolerance < 0
                   else max(tolerance, _noise(b, current.get(key.removesuffix("_accuracy")))))
        if c is not None and b is not None and c < b - allowed:
            return f"{what} accuracy {c:.4f} < current {b:.4f} - tolerance {round(allowed, 4)}"
    return ""


NOISE_SE = 2.0  # a figure on n rows is not compared more finely than this many std errors
LEARNT_KAPPA = 0.2  # a team's labels are learnt when held-out answers agree beyond chance


def _noise(figure: float | None, rows: Any) -> float:
    """Two standard errors of an accuracy of `figure` on `rows` rows (issue 28: a team's
    30 rows move 3.3 points per row, finer than the tolerance can judge); 0 when the
    number of rows is not given."""
    n = rows.get("n") if isinstance(rows, dict) else None
    if figure is None or not n:
        return 0.0
    return float(NOISE_SE * math.sqrt(max(figure * (1.0 - figure), 1.0 / n) / n))


def not_learnt(candidate: dict[str, Any]) -> str:
    """Why a candidate does not learn a team's labels, or '' (issue 28). Judged only for a
    candidate scored on the team's rows cross-validated by template: its held-out answers
    must agree with the team's labels beyond chance (Cohen's kappa >= LEARNT_KAPPA).
    Labels with no learnable pattern (random ones) do not; a real convention, even one
    that mostly agrees with the current version, does."""
    kappa = candidate.get("corrections_kappa")
    if kappa is None or kappa >= LEARNT_KAPPA:
        return ""
    return (f"the candidate does not learn the team's labels: its answers on templates it "
            f"did not see agree with them no better than chance (kappa {kappa:.3f} < "
            f"{LEARNT_KAPPA})")


def _off_set(figures: dict[str, Any], judging: JudgingSet) -> bool:
    return figures.get(PROTECTED) is not None and figures.get("judged_on") != judging.key


def decide(candidate: dict[str, Any], current: dict[str, Any], current_version: str | None,
           tolerance: float, judging: JudgingSet = BASE_TEMPLATES) -> tuple[bool, str]:
    """(promote?, why): the one promotion decision of every retrain, on `judging`'s rows.

    With a judging set other than the base templates, a figure measured elsewhere
    (`judged_on` differs) is refused rather than compared."""
    if judging != BASE_TEMPLATES:
        for figures, whose in ((candidate, "candidate"), (current, "current version")):
            if _off_set(figures, judging):
                return False, (f"the {whose}'s figure was not measured on {judging.name} "
                               f"({figures.get('judged_on')!r} != {judging.key!r})")
    why_not = not_learnt(candidate) or worse(candidate, current, tolerance)
    if why_not and judging != BASE_TEMPLATES:
        why_not = why_not.replace(GATED_FIGURES[0][1], judging.name)
    if why_not:
        return False, why_not
    if current_version is None:
        return True, "no current version"
    where = "" if judging == BASE_TEMPLATES else f" on {judging.name}"
    return True, f"candidate not worse than {current_version}{where} (tolerance {tolerance})"
