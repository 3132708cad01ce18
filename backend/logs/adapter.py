"""A team's convention between retrains: the served head refitted on one scope's corrections.

The feedback memory answers a corrected template key exactly, and the neighbour rule
follows a correction only where the model is unsure. A convention is more than its
corrected keys: the *siblings* (same meaning, other wording) of a corrected template
should follow it too, and often the model answers them confidently the old way.

`ConventionAdapter` is the served model's linear head, refitted on the model's own
labelled example keys plus the corrections one caller may use on one source (the scope
that taught them, `backend.feedback.memory.Grants`), corrections weighted
`CORRECTION_WEIGHT` times, starting from the served weights. It reads the same frozen
features (MiniLM ++ TF-IDF) and applies the head's temperature, so its probability is
calibrated as the model's is. A fit takes well under a second (measured by
`bench/adaptation.py`); nothing is trained on the shared model.

Its answer replaces the model's only on *evidence* (`evidence`):
- the adapter's calibrated probability for its label reaches the served threshold, and
- among the `NEAREST` corrections closest to the key (MiniLM cosine, only those at
  least `NEAR_SIMILARITY`), at least `AGREEING_TO_OVERRIDE` carry that label when the
  model's own answer is confident (>= the served threshold), at least one when it is not.
So a correction never reaches a template with no correction near it, and a confident
model answer is overridden only by two agreeing corrections nearby. Constants were
chosen on the ops convention of `bench/adaptation.py` (docs/adaptation.md) and checked
on the second convention.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from backend.core.calibration import softmax
from backend.logs.model import LogModel

CORRECTION_WEIGHT = 20.0  # one correction counts as this many example keys
NEAREST = 3  # corrections looked at around a key
NEAR_SIMILARITY = 0.3  # a correction farther than this (cosine) is no evidence
AGREEING_TO_OVERRIDE = 2  # agreeing corrections that may override a confident answer
MIN_CORRECTIONS = 2  # fewer corrections cannot override anything (AGREEING_TO_OVERRIDE)
MAX_ITER = 100  # warm-started from the served head: ~20 iterations in practice


@dataclass(frozen=True)
class Evidence:
    """Why the adapter answers a key: its label, calibrated probability, how many of the
    nearest corrections agree, and the similarity of the nearest agreeing one."""

    label: str
    probability: float
    agreeing: int
    similarity: float
    overrides: bool  # the model's own answer was confident (>= threshold)

    def reason(self, correction_ids: Sequence[int]) -> str:
        ids = ", ".join(str(i) for i in correction_ids)
        what = "overrides a confident model answer" if self.overrides else "model unsure"
        return (
            f"convention adapter: p={self.probability:.2f}, {self.agreeing} of the "
            f"{NEAREST} nearest corrections agree (nearest {self.similarity:.2f}; "
            f"corrections {ids}); {what}"
        )


@dataclass
class ExampleFeatures:
    """The model's own example keys as its head reads them (computed once per model)."""

    x: sparse.csr_matrix
    labels: np.ndarray

    @classmethod
    def of(cls, model: LogModel) -> ExampleFeatures:
        labels = np.asarray(model.example_labels, dtype=object)
        keep = np.isin(labels, model.head.classes)
        vectors = np.asarray(model.example_vectors, dtype=np.float32)[keep]
        keys = [k for k, kept in zip(model.example_keys, keep, strict=False) if kept]
        x = _inputs(model, vectors, keys) if len(keys) == len(vectors) else vectors
        return cls(sparse.csr_matrix(x), labels[keep])


def _inputs(
    model: LogModel, vectors: np.ndarray, keys: Sequence[str]
) -> np.ndarray | sparse.csr_matrix:
    bare, levels = model.split_levels(keys)
    return model.inputs(vectors, bare, levels)


class ConventionAdapter:
    """One scope's adapter: fitted on its corrections, answers only on evidence."""

    def __init__(
        self,
        model: LogModel,
        coef: np.ndarray,
        intercept: np.ndarray,
        classes: list[str],
        vectors: np.ndarray,
        labels: list[str],
        ids: list[int],
        fit_s: float,
    ) -> None:
        self.model = model
        self.coef, self.intercept, self.classes = coef, intercept, classes
        self.vectors = vectors  # (n, d) unit MiniLM vectors of the corrected keys
        self.labels = np.asarray(labels, dtype=object)
        self.ids = ids
        self.fit_s = fit_s

    @classmethod
    def fit(
        cls,
        model: LogModel,
        examples: ExampleFeatures,
        keys: Sequence[str],
        labels: Sequence[str],
        vectors: np.ndarray,
        ids: Sequence[int],
    ) -> ConventionAdapter | None:
        """Refit the served head with these corrections (keys, labels, unit vectors);
        None when too few corrections, or a label the head does not know (held ones are
        never remembered; a new label needs a retrain)."""
        known = [i for i, label in enumerate(labels) if label in model.head.classes]
        if len(known) < MIN_CORRECTIONS:
            return None
        keys = [keys[i] for i in known]
        labels = [labels[i] for i in known]
        vectors = np.asarray(vectors, dtype=np.float32)[known]
        start = time.perf_counter()
        x = sparse.vstack(
            [examples.x, sparse.csr_matrix(_inputs(model, vectors, keys))], format="csr"
        )
        y = np.concatenate([examples.labels, np.asarray(labels, dtype=object)])
        weight = np.concatenate(
            [np.ones(examples.x.shape[0]), np.full(len(keys), CORRECTION_WEIGHT)]
        )
        classes = sorted(set(y))
        rows = [model.head.classes.index(c) for c in classes]
        head = LogisticRegression(C=_head_c(model), max_iter=MAX_ITER, warm_start=True)
        head.coef_ = model.head.coef[rows].astype(np.float64)
        head.intercept_ = model.head.intercept[rows].astype(np.float64)
        # one BLAS thread: a small fit gains nothing from more, and on a busy host extra
        # threads made it 20x slower (measured, 2 cores under load)
        with warnings.catch_warnings(), threadpool_limits(limits=1):
            warnings.simplefilter("ignore", ConvergenceWarning)
            head.fit(x, y, sample_weight=weight)
        if len(classes) == 2:  # sklearn keeps one row for two classes
            head.coef_ = np.vstack([-head.coef_, head.coef_])
            head.intercept_ = np.concatenate([-head.intercept_, head.intercept_])
        return cls(
            model,
            head.coef_.astype(np.float32),
            head.intercept_.astype(np.float32),
            [str(c) for c in head.classes_],
            vectors,
            labels,
            [ids[i] for i in known],
            time.perf_counter() - start,
        )

    def evidence(
        self,
        keys: Sequence[str],
        vectors: np.ndarray,
        confidences: Sequence[float],
        threshold: float,
    ) -> list[Evidence | None]:
        """Per key: the adapter's answer when the evidence supports it (see module doc),
        else None (the model's answer stands)."""
        if not len(keys):
            return []
        x = _inputs(self.model, np.asarray(vectors, dtype=np.float32), keys)
        logits = np.asarray(x @ self.coef.T) + self.intercept
        proba = softmax(logits, self.model.head.temperature)
        best = proba.argmax(axis=1)
        sims = np.asarray(vectors, dtype=np.float32) @ self.vectors.T
        out: list[Evidence | None] = []
        for i, conf in enumerate(confidences):
            label, p = self.classes[best[i]], float(proba[i, best[i]])
            if p < threshold:
                out.append(None)
                continue
            near = np.argsort(-sims[i])[:NEAREST]
            near = near[sims[i, near] >= NEAR_SIMILARITY]
            agreeing = near[self.labels[near] == label]
            confident = conf >= threshold
            if len(agreeing) < (AGREEING_TO_OVERRIDE if confident else 1):
                out.append(None)
                continue
            out.append(
                Evidence(
                    label,
                    round(p, 4),
                    len(agreeing),
                    round(float(sims[i, agreeing[0]]), 4),
                    confident,
                )
            )
        return out

    def near_ids(self, vector: np.ndarray, label: str) -> list[int]:
        """Ids of the agreeing corrections among the nearest (for the answer's reason)."""
        sims = self.vectors @ np.asarray(vector, dtype=np.float32)
        near = [
            j
            for j in np.argsort(-sims)[:NEAREST]
            if sims[j] >= NEAR_SIMILARITY and self.labels[j] == label
        ]
        return [self.ids[j] for j in near]


def _head_c(model: LogModel) -> float:
    """The inverse regularisation the served head was trained with (train-logs's C)."""
    value = model.head.extra.get("C") or model.config.get("C") or 16.0
    return float(value)  # type: ignore[arg-type]
