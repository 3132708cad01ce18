"""A team's labelled set as data the retrain gate judges on (issue 28).

The protected held-out base set guards what the model already did right, but a team that
relabels templates contradicts some of it on purpose: there the base labels are the
convention being replaced, and they must not veto it. So:

- `contradicted`: a held-out base row is the team's to decide when a team row with
  another label has its template key, or one within `CONTRADICTION_SIMILARITY` (MiniLM
  cosine). Those rows leave the protected figure; every other base row still guards
  against a candidate that breaks the rest.
- `cross_validated`: the team's rows (its corrections and labelled uploads) are few, so
  the candidate is scored on them held out by template key, `TEAM_FOLDS` folds: each
  fold's head is the candidate's recipe (same features, C, temperature, threshold,
  correction weight) refitted without that fold's templates, and answers only them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from backend.embedding.linear import LinearHead
from backend.logs.classifier import LogClassifier
from backend.logs.levels import reads_onehot
from backend.logs.llm.base import UNCLASSIFIED
from backend.registry.gate import BASE_TEMPLATES, JudgingSet
from training.logs.train import LEVEL, WEIGHT, fit_lr, shared

TEAM_FOLDS = 3  # folds of the team's templates (at least two templates per fold needed)
TEAM_MIN_ROWS = 10  # fewer team rows: nothing to cross-validate on (the gate's old rule)
CONTRADICTION_SIMILARITY = 0.8  # a base template this close to a team row is the team's
FEEDBACK_GROUP = "feedback-"


def fold_of(key: str, folds: int) -> int:
    """The fold of a template key (stable: a hash, not an order)."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % folds


def unit(vectors: dict[str, np.ndarray], keys: list[str]) -> np.ndarray:
    x = np.stack([vectors[k] for k in keys]).astype(np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def contradicted(
    base: pd.DataFrame, team: pd.DataFrame, vectors: dict[str, np.ndarray]
) -> np.ndarray:
    """Per base row (`key`, `target_label`): whether a team row of another label has its
    key or one within CONTRADICTION_SIMILARITY."""
    if team.empty or base.empty:
        return np.zeros(len(base), dtype=bool)
    base_keys, team_keys = list(base["key"]), list(team["key"])
    sims = unit(vectors, base_keys) @ unit(vectors, team_keys).T
    near = (sims >= CONTRADICTION_SIMILARITY) | (
        np.asarray(base_keys, dtype=object)[:, None] == np.asarray(team_keys, dtype=object)
    )
    other = (
        base["target_label"].to_numpy(dtype=object)[:, None]
        != team["target_label"].to_numpy(dtype=object)[None, :]
    )
    found: np.ndarray = (near & other).any(axis=1)
    return found


def protected_set(base: pd.DataFrame, mask: np.ndarray) -> JudgingSet:
    """The judging set of the protected figure: the base templates, or, when the team
    contradicts some, those it does not (keyed by the templates left out)."""
    if not mask.any():
        return BASE_TEMPLATES
    left_out = sorted(set(base["template_id"].astype(str)[mask]))
    digest = hashlib.sha256("\n".join(left_out).encode("utf-8")).hexdigest()[:16]
    return JudgingSet(
        "protected held-out base templates the team does not contradict",
        f"base-templates-uncontradicted:{digest}",
        f"held-out base templates minus {len(left_out)} the team's labels "
        f"contradict (a team row of another label within cosine "
        f"{CONTRADICTION_SIMILARITY})",
    )


@dataclass
class TeamFigure:
    """The candidate's cross-validated accuracy on the team's rows, and what decided it."""

    accuracy: float | None
    rows: int
    templates: int
    folds: int
    predictions: list[str] = field(default_factory=list)
    kappa: float | None = None  # agreement beyond chance of those answers with the team

    def public(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "kappa": self.kappa,
            "rows": self.rows,
            "templates": self.templates,
            "folds": self.folds,
        }


def cross_validated(
    classifier: LogClassifier,
    train: pd.DataFrame,
    team: pd.DataFrame,
    vectors: dict[str, np.ndarray],
    c: float,
    weight: float,
    extra_share: float | None = None,
) -> TeamFigure:
    """Team rows answered by heads that never saw their template (see module doc), through
    the candidate's pipeline (rules, LLM tier; its cascade off: the fast head saw every
    row), with no abstention, as `evaluate` scores the current version. `train`: the
    candidate's training rows (`key`, `target_label`, `template_id`; team rows are the
    FEEDBACK_GROUP ones, once each; the stated level (LEVEL) and the extra rows' share
    `extra_share` as train_logs reads them, when the candidate has them), `team`: the
    team's rows."""
    templates = list(dict.fromkeys(team["key"]))
    folds = min(TEAM_FOLDS, len(templates) // 2)
    if len(team) < TEAM_MIN_ROWS or folds < 2:
        return TeamFigure(None, len(team), len(templates), 0)
    model = classifier.model
    fed = train["template_id"].astype(str).str.startswith(FEEDBACK_GROUP).to_numpy()
    base_w = (
        train[WEIGHT].to_numpy(dtype=np.float64) if WEIGHT in train else np.ones(len(train))
    )
    weighted = shared(train.assign(**{WEIGHT: np.where(fed, weight, 1.0) * base_w}), extra_share)
    levelled = LEVEL in train
    weighted = weighted.assign(**{LEVEL: weighted[LEVEL].fillna("") if levelled else ""})
    rows = (
        weighted.rename(columns={WEIGHT: "w"})
        .groupby(["key", LEVEL, "target_label"], sort=False, as_index=False)["w"]
        .sum()
    )
    rows_fold = np.array([fold_of(k, folds) for k in rows["key"]])
    in_team = rows["key"].isin(set(team["key"])).to_numpy()
    classes = sorted(set(rows["target_label"]))
    y = np.array([classes.index(c_) for c_ in rows["target_label"]])
    levels = [lv or None for lv in rows[LEVEL]] if reads_onehot(model.config) else None
    x = model.inputs(np.stack([vectors[k] for k in rows["key"]]), list(rows["key"]), levels)
    team_fold = np.array([fold_of(k, folds) for k in team["key"]])
    records = list(zip(team["source"], team["log_message"], strict=True))
    options = replace(classifier.options, cascade_enabled=False)
    answers = np.full(len(team), UNCLASSIFIED, dtype=object)
    for f in range(folds):
        held = np.flatnonzero(team_fold == f)
        if not len(held):
            continue
        keep = ~(in_team & (rows_fold == f))
        lr = fit_lr(x[keep], y[keep], c, rows["w"].to_numpy()[keep])
        coef, intercept = lr.coef_, lr.intercept_
        if coef.shape[0] == 1:  # two classes: sklearn keeps one row
            coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        head = LinearHead(
            coef,
            intercept,
            [classes[i] for i in lr.classes_],
            model.head.temperature,
            model.head.threshold,
        )
        fold = LogClassifier(
            replace(model, head=head, fast=None),
            classifier.embedder,
            classifier.rules,
            classifier.llm,
            options,
        )
        answers[held] = [p.label for p in fold.classify([records[i] for i in held], 0.0)]
    truth = team["target_label"].to_numpy(dtype=object)
    kappa = (
        round(float(cohen_kappa_score(truth.astype(str), answers.astype(str))), 4)
        if len(set(truth)) > 1
        else None
    )
    return TeamFigure(
        round(float((answers == truth).mean()), 4),
        len(team),
        len(templates),
        folds,
        [str(a) for a in answers],
        kappa,
    )
