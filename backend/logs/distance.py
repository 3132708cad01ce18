"""Confidence that knows how far a line is from everything the model learnt.

A linear head is as sure of a line from a system it never saw as of one it
was trained on: on real logs v4 gave `Receiving block ...` Security Alert at
0.99. Here the served confidence is a calibrated probability that the answer
is right, given two things: the head's own (temperature-scaled) confidence and
the cosine similarity of the template key to its nearest training key.

    confidence = sigmoid(a * logit(p) + b * similarity + c * logit(p) * similarity + d)

`train-logs` fits (a, b, c, d) per stage of the cascade on out-of-fold
predictions, where the held-out folds are whole *systems* of the real corpus
(and whole templates of the generated data), so a key far from the training
keys of its fold teaches the calibration what "far" costs. The reference set is
every distinct training key, in the space of the static stage (model2vec; a new
key's static vector is computed by the cascade anyway) or of MiniLM for a model
without a fast stage. Stored as `distance.json` + `distance.npz` (no pickle).

Optional parts (v6 on):
- a bias per answered label (`label_bias`): how often a label is right at a given
  confidence and distance differs by label (a far line called System Notification is
  usually right, a far line called Error much less often), so one curve for all labels
  is over-sure of some and unsure of others;
- a floor of what held-out systems reached out of fold, in MiniLM space
  (`minilm_floor`, with the training keys' MiniLM vectors as `minilm_reference`). Below
  it the calibration has no evidence at all, so the served confidence is chance (one
  over the number of labels): the line abstains, or goes to the LLM tier. The static
  space cannot draw this line (made-up words are "similar" to log keys there through
  their sub-words), so a key none of whose words training ever saw (`novel`, read
  against `vocabulary`) is sent on to MiniLM even when the fast stage is sure;
- (`train-logs --calibration-fast-opinion`, off in the shipped models) the fast stage's
  opinion of the full stage's answer (`opinion`): whether its own best guess is the same
  label, and the probability it gave that label. A key reaches MiniLM because the fast
  stage was unsure, but what it was unsure *between* still says something (Hadoop's
  `slow start` lines: fast System Notification 0.90, MiniLM Resource Usage 0.85, served
  0.94 and wrong without it). The opinion costs nothing: the fast stage has read every key
  before MiniLM does. Over five leave-one-system-out seeds it did not beat v6's
  calibration (docs/real-logs.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DISTANCE_CONFIG = "distance.json"
DISTANCE_WEIGHTS = "distance.npz"
STATIC, MINILM = "static", "minilm"
_EPS = 1e-6


_PLACEHOLDER = re.compile(r"<[^<>\s]*>")
_WORD = re.compile(r"[a-z]{2,}")


def key_words(key: str) -> set[str]:
    """The words of a template key (lower-case letters, placeholders left out)."""
    return set(_WORD.findall(_PLACEHOLDER.sub(" ", key.lower())))


def unknown_words(keys: Sequence[str], vocabulary: frozenset[str] | set[str]) -> np.ndarray:
    """Per key, whether it has words and none of them is in `vocabulary` (a key of only
    numbers and placeholders says nothing about novelty)."""
    return np.array([bool(words) and vocabulary.isdisjoint(words)
                     for words in map(key_words, keys)], dtype=bool)


def logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(q) - np.log1p(-q)


def second_opinion(answered: Sequence[str], fast_proba: np.ndarray,
                   fast_classes: Sequence[str]) -> np.ndarray:
    """(n, 2): per answer of the full stage, whether the fast stage's best guess is the
    same label (1/0) and the logit of the probability the fast stage gave that label."""
    index = {c: i for i, c in enumerate(fast_classes)}
    cols = np.array([index.get(label, -1) for label in answered], dtype=np.int64)
    proba = np.asarray(fast_proba, dtype=np.float64).reshape(len(cols), -1)
    given = np.where(cols >= 0, proba[np.arange(len(cols)), np.maximum(cols, 0)], 0.0)
    agrees = (proba.argmax(axis=1) == cols) if len(cols) else np.zeros(0, dtype=bool)
    return np.stack([agrees.astype(np.float64), logit(given)], axis=1)


def features(confidence: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """The calibration's inputs: logit of the head's confidence, similarity, their product."""
    z = logit(confidence)
    s = np.asarray(similarity, dtype=np.float64)
    return np.stack([z, s, z * s], axis=1)


@dataclass
class DistanceCalibration:
    """The reference keys' vectors and one coefficient vector per cascade stage."""

    reference: np.ndarray  # (n, dim) unit vectors of the distinct training keys
    space: str  # STATIC (the fast stage's embedder) or MINILM
    coefficients: dict[str, tuple[float, ...]]  # stage -> (a, b, c, d)
    block: int = 4096  # reference rows per matrix product (bounds memory for big batches)
    label_bias: dict[str, dict[str, float]] = field(default_factory=dict)  # stage -> label ->
    n_labels: int = 9  # chance (no evidence: below the MiniLM floor) is 1 / n_labels
    vocabulary: frozenset[str] = frozenset()  # the words of the training keys
    minilm_reference: np.ndarray | None = None  # (n, 384) unit MiniLM vectors of those keys
    minilm_floor: float | None = None  # below this MiniLM similarity: chance confidence
    # stage -> weights of second_opinion's two columns (with --calibration-fast-opinion)
    opinion: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reference = np.ascontiguousarray(self.reference, dtype=np.float32)
        if self.minilm_reference is not None:
            self.minilm_reference = np.ascontiguousarray(self.minilm_reference,
                                                         dtype=np.float32)

    def similarity(self, vectors: np.ndarray, reference: np.ndarray | None = None
                   ) -> np.ndarray:
        """Cosine similarity of each (unit) vector to its nearest reference key."""
        reference = self.reference if reference is None else reference
        vectors = np.asarray(vectors, dtype=np.float32)
        if not len(vectors) or not len(reference):
            return np.zeros(len(vectors), dtype=np.float32)
        best = np.full(len(vectors), -1.0, dtype=np.float32)
        for start in range(0, len(reference), self.block):
            part = reference[start:start + self.block]
            np.maximum(best, (vectors @ part.T).max(axis=1), out=best)
        return best

    def novel(self, keys: Sequence[str]) -> np.ndarray:
        """Keys with words none of which training saw (all False without a vocabulary)."""
        if not self.vocabulary or self.minilm_floor is None:
            return np.zeros(len(keys), dtype=bool)
        return unknown_words(keys, self.vocabulary)

    def minilm_known(self, vectors: np.ndarray) -> np.ndarray:
        """Whether each MiniLM vector (unit length) is within the MiniLM floor."""
        if self.minilm_floor is None or self.minilm_reference is None:
            return np.ones(len(vectors), dtype=bool)
        unit = np.asarray(vectors, dtype=np.float32)
        unit = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
        return self.similarity(unit, self.minilm_reference) >= self.minilm_floor

    def chance(self, confidence: np.ndarray, inside: np.ndarray) -> np.ndarray:
        """Chance confidence where `inside` is False (no evidence that far out)."""
        return np.where(inside, confidence, 1.0 / self.n_labels)

    def calibrate(self, confidence: np.ndarray, similarity: np.ndarray, stage: str,
                  labels: Sequence[str] | None = None, opinion: np.ndarray | None = None
                  ) -> np.ndarray:
        """P(the answer is right) for these head confidences at these similarities (and,
        with a label bias, for these answered labels; with opinion weights for the stage,
        given the fast stage's `second_opinion` of the answers)."""
        coef = self.coefficients.get(stage)
        if coef is None or not len(confidence):
            return np.asarray(confidence, dtype=np.float64)
        z = features(confidence, similarity) @ np.asarray(coef[:3]) + coef[3]
        bias = self.label_bias.get(stage)
        if bias and labels is not None:
            z = z + np.array([bias.get(label, 0.0) for label in labels])
        weights = self.opinion.get(stage)
        if weights is not None:
            if opinion is None:
                raise ValueError(f"this calibration reads the fast stage's opinion of the "
                                 f"{stage} stage's answers: pass second_opinion(...)")
            z = z + np.asarray(opinion, dtype=np.float64) @ np.asarray(weights)
        return 1.0 / (1.0 + np.exp(-z))

    def reads_opinion(self, stage: str) -> bool:
        return stage in self.opinion

    def save_pretrained(self, folder: Path) -> None:
        arrays: dict[str, np.ndarray] = {
            "reference": self.reference.astype(np.float16),
            "vocabulary": np.asarray(sorted(self.vocabulary), dtype=str)}
        if self.minilm_reference is not None:
            arrays["minilm_reference"] = self.minilm_reference.astype(np.float16)
        np.savez(folder / DISTANCE_WEIGHTS, **arrays)  # type: ignore[arg-type]
        config: dict[str, object] = {
            "space": self.space,
            "features": ["logit", "similarity", "logit*similarity", "intercept"],
            "coefficients": {k: list(v) for k, v in self.coefficients.items()}}
        if self.label_bias:
            config["label_bias"] = self.label_bias
        if self.minilm_floor is not None:
            config.update(minilm_floor=self.minilm_floor, n_labels=self.n_labels)
        if self.opinion:
            config["opinion"] = {stage: list(w) for stage, w in self.opinion.items()}
            config["opinion_features"] = ["fast agrees", "logit(fast probability of answer)"]
        (folder / DISTANCE_CONFIG).write_text(json.dumps(config, indent=2) + "\n",
                                              encoding="utf-8")

    @classmethod
    def from_pretrained(cls, folder: Path) -> DistanceCalibration | None:
        """The stored calibration, or None for a model trained before it (v1-v4)."""
        if not (folder / DISTANCE_CONFIG).is_file():
            return None
        config = json.loads((folder / DISTANCE_CONFIG).read_text(encoding="utf-8"))
        with np.load(folder / DISTANCE_WEIGHTS, allow_pickle=False) as data:
            reference = data["reference"]
            vocabulary = (frozenset(str(w) for w in data["vocabulary"])
                          if "vocabulary" in data else frozenset())
            minilm = data["minilm_reference"] if "minilm_reference" in data else None
        return cls(reference, str(config["space"]),
                   {str(k): tuple(float(x) for x in v)
                    for k, v in config["coefficients"].items()},
                   label_bias={str(stage): {str(k): float(v) for k, v in bias.items()}
                               for stage, bias in config.get("label_bias", {}).items()},
                   n_labels=int(config.get("n_labels", 9)), vocabulary=vocabulary,
                   minilm_reference=minilm,
                   minilm_floor=(float(config["minilm_floor"])
                                 if config.get("minilm_floor") is not None else None),
                   opinion={str(stage): (float(w[0]), float(w[1]))
                            for stage, w in config.get("opinion", {}).items()})
