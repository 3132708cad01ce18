"""Training of task model v2 on authors' titles plus generated ones, and the choice of its
auto-select threshold on held-out authors.

The threshold is the lowest confidence at which the rows of authors the model never saw
reach the target precision (`backend.core.calibration.threshold_for_precision`, the one
rule): each author in turn is left out, a model is fitted on the others plus the
generated data, and its answers on the left-out author are pooled. An out-of-domain row
that would be auto-selected counts as a wrong answer, so the threshold also keeps
non-tasks out.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from backend.core.calibration import threshold_for_precision
from backend.embedding.features import TextFeatures
from backend.embedding.linear import LinearHead
from backend.tasks.linear import (
    OUT_OF_DOMAIN,
    TITLE_BLOCKS,
    WORD_BLOCKS,
    TaskLinearModel,
    decide_rows,
)

logger = logging.getLogger(__name__)
NONE = "(none)"  # an abstention, in the figures


@dataclass
class LinearTrainingArguments:
    """Everything that shapes a v2 fit (recorded in the manifest)."""

    C: float = 8.0  # noqa: N815 - scikit-learn's name
    text_weight: float = 2.0  # TF-IDF block scale beside the unit-norm embedding
    generated_weight: float = 1.0  # sample weight of a generated row (an author row: 1)
    correction_weight: float = 20.0
    min_df: int = 2
    max_iter: int = 3000
    target_precision: float = 0.95
    seed: int = 42
    blocks: tuple[str, ...] = WORD_BLOCKS  # the TF-IDF blocks beside the embedding
    title_weight: float = 0.0  # > 0: word n-grams of the title alone too, at this scale (v4)
    # the largest share of held-out authors' out-of-domain rows the threshold may let be
    # auto-selected (a margin under the product's 5%); 1.0: precision alone decides
    ood_target: float = 0.03

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "blocks": list(self.blocks)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> LinearTrainingArguments:
        """The arguments a manifest recorded (`to_dict`); unknown keys are ignored."""
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        if "blocks" in known:
            known["blocks"] = tuple(known["blocks"])
        return cls(**known)


# The published recipes of the linear task model, by the version that introduced them.
# v2: MiniLM ++ TF-IDF word 1-2-grams; v3: the same plus character 3-5-grams; v4: v3 plus
# word 1-2-grams of the title alone.
RECIPES: dict[str, dict[str, Any]] = {"v2": {}, "v3": {"blocks": ("words", "chars")},
                                      "v4": {"blocks": ("words", "chars"), "title_weight": 1.0}}
DEFAULT_RECIPE = "v3"  # v4 is measured, not served: docs/tasks-feedback.md


def recipe_args(recipe: str = DEFAULT_RECIPE, **overrides: Any) -> LinearTrainingArguments:
    """The training arguments of a recipe in `RECIPES`, with `overrides` (e.g. the seed)."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown task recipe {recipe!r}; known: {', '.join(RECIPES)}")
    return LinearTrainingArguments(**{**RECIPES[recipe], **overrides})


@dataclass
class TrainingRows:
    """Rows to fit on: `model_text`s, their embeddings, labels, sample weights and, per
    row, the author who wrote it ("generated" for the generator's, "feedback" for users'),
    and the title alone (`title_text`, read by a recipe with `title_weight`)."""

    texts: list[str]
    vectors: np.ndarray
    labels: list[str]
    weights: np.ndarray
    authors: list[str]
    titles: list[str] = field(default_factory=list)

    def take(self, mask: np.ndarray) -> TrainingRows:
        idx = np.flatnonzero(mask)
        return TrainingRows([self.texts[i] for i in idx], self.vectors[idx],
                            [self.labels[i] for i in idx], self.weights[idx],
                            [self.authors[i] for i in idx],
                            [self.titles[i] for i in idx] if self.titles else [])

    def predict_proba(self, model: TaskLinearModel) -> np.ndarray:
        """`model`'s answers on these rows."""
        return model.predict_proba(self.vectors, self.texts, self.titles or None)

    def __len__(self) -> int:
        return len(self.texts)


def fit_linear(rows: TrainingRows, args: LinearTrainingArguments, embedder: str,
               threshold: float = 1.0, config: dict[str, Any] | None = None
               ) -> TaskLinearModel:
    """Fit TF-IDF vocabularies and the LR head on `rows` (the model reads `args.blocks`)."""
    features = TextFeatures.fit(rows.texts, weight=args.text_weight, min_df=args.min_df)
    x = features.combine(rows.vectors, rows.texts, args.blocks)
    titles = None
    if args.title_weight > 0:
        if len(rows.titles) != len(rows):
            raise ValueError("a recipe with title_weight needs every row's title")
        titles = TextFeatures.fit(rows.titles, weight=args.title_weight, min_df=args.min_df)
        x = sparse.hstack([x, titles.transform(rows.titles, TITLE_BLOCKS)], format="csr")
    lr = LogisticRegression(C=args.C, max_iter=args.max_iter, random_state=args.seed)
    lr.fit(x, rows.labels, sample_weight=rows.weights)
    head = LinearHead(lr.coef_, lr.intercept_, [str(c) for c in lr.classes_],
                      threshold=threshold)
    return TaskLinearModel(head, features, embedder,
                           {**(config or {}), "blocks": list(args.blocks),
                            "title_weight": args.title_weight}, titles)


@dataclass
class HeldOutAnswers:
    """A model's answers on rows of authors it was not trained on."""

    categories: list[str | None]
    confidence: np.ndarray
    truth: list[str]

    @property
    def auto_correct(self) -> np.ndarray:
        """Whether auto-selecting each row would be right (an out-of-domain row: never)."""
        return np.asarray([c is not None and c == t
                           for c, t in zip(self.categories, self.truth, strict=True)])

    @property
    def answered(self) -> np.ndarray:
        return np.asarray([c is not None for c in self.categories])


def leave_authors_out(rows: TrainingRows, authors: Sequence[str],
                      args: LinearTrainingArguments, embedder: str) -> HeldOutAnswers:
    """Each of `authors` in turn: fit on every other row, answer that author's rows."""
    categories: list[str | None] = []
    confidence: list[np.ndarray] = []
    truth: list[str] = []
    for author in authors:
        mine = np.asarray([a == author for a in rows.authors])
        model = fit_linear(rows.take(~mine), args, embedder)
        held = rows.take(mine)
        found, conf = decide_rows(held.predict_proba(model), model.classes)
        categories += found
        confidence.append(conf)
        truth += held.labels
    return HeldOutAnswers(categories, np.concatenate(confidence) if confidence
                          else np.zeros(0), truth)


def choose_threshold(answers: HeldOutAnswers, target: float, ood_target: float = 1.0
                     ) -> dict[str, float]:
    """The calibration rule over the rows the model answers (abstentions are never
    auto-selected, whatever the threshold), raised where needed so that at most
    `ood_target` of the held-out out-of-domain rows would be auto-selected: a precision
    target alone lets non-tasks through wherever in-domain rows are right enough to pay
    for them."""
    keep = answers.answered
    chosen = threshold_for_precision(answers.confidence[keep], answers.auto_correct[keep],
                                     target)
    ood = np.asarray([t == OUT_OF_DOMAIN for t in answers.truth])
    ood_conf = np.sort(answers.confidence[ood & keep])[::-1]  # answered non-tasks, surest first
    allowed = int(np.floor(ood_target * ood.sum() + 1e-9))
    if len(ood_conf) > allowed:
        # just above the most confident non-task that would be one too many
        floor = float(np.nextafter(ood_conf[allowed], np.inf))
        if floor > chosen["threshold"]:
            auto = answers.confidence[keep] >= floor
            right = answers.auto_correct[keep][auto]
            chosen = {**chosen, "threshold": floor,  # unrounded: rounding could let it in
                      "precision": round(float(right.mean()), 4) if len(right) else 0.0,
                      "coverage": round(float(auto.mean()), 4)}
    auto_ood = int((ood_conf >= chosen["threshold"]).sum())
    return {**chosen, "ood_auto_rate": round(auto_ood / max(int(ood.sum()), 1), 4),
            "ood_target": ood_target}


def fit_with_threshold(rows: TrainingRows, judge_authors: Sequence[str],
                       args: LinearTrainingArguments, embedder: str
                       ) -> tuple[TaskLinearModel, HeldOutAnswers, dict[str, float]]:
    """The v2 recipe: the threshold from leaving each of `judge_authors` out, then one
    model on all rows carrying it (the manifest names the authors)."""
    answers = leave_authors_out(rows, judge_authors, args, embedder)
    chosen = choose_threshold(answers, args.target_precision, args.ood_target)
    config = {"out_of_domain_label": OUT_OF_DOMAIN, "threshold_authors": list(judge_authors),
              "target_precision": args.target_precision,
              "threshold_precision": chosen["precision"], "ood_target": args.ood_target,
              "threshold_ood_auto_rate": chosen["ood_auto_rate"]}
    model = fit_linear(rows, args, embedder, chosen["threshold"], config)
    logger.info("task model: threshold %.4f (precision %.3f) from authors %s",
                chosen["threshold"], chosen["precision"], ", ".join(judge_authors))
    return model, answers, chosen


def score(categories: list[str | None], confidence: np.ndarray, threshold: float,
          truth: list[str]) -> dict[str, Any]:
    """The figures of answers on held-out rows: accuracy and macro-F1 over the in-domain
    rows (an abstention is wrong), the share of them auto-selected at `threshold` and its
    accuracy, and the share of out-of-domain rows auto-selected (or abstained on)."""
    y = np.asarray(truth)
    pred = np.asarray([c if c is not None else NONE for c in categories])
    auto = (np.asarray(confidence) >= threshold) & (pred != NONE)
    inside = y != OUT_OF_DOMAIN
    right = pred == y
    labels = sorted(set(y[inside]))
    return {
        "n": int(inside.sum()), "n_ood": int((~inside).sum()),
        "accuracy": round(float(right[inside].mean()), 4) if inside.any() else None,
        "macro_f1": round(float(f1_score(y[inside], pred[inside], labels=labels,
                                         average="macro", zero_division=0)), 4)
        if inside.any() else None,
        "auto_share": round(float(auto[inside].mean()), 4) if inside.any() else None,
        "auto_accuracy": (round(float(right[inside & auto].mean()), 4)
                          if (inside & auto).any() else None),
        "ood_auto_rate": round(float(auto[~inside].mean()), 4) if (~inside).any() else None,
        "ood_abstain_rate": (round(float((pred[~inside] == NONE).mean()), 4)
                             if (~inside).any() else None),
        "threshold": round(float(threshold), 4),
    }
