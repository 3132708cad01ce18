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
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DISTANCE_CONFIG = "distance.json"
DISTANCE_WEIGHTS = "distance.npz"
STATIC, MINILM = "static", "minilm"
_EPS = 1e-6


def features(confidence: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """The calibration's inputs: logit of the head's confidence, similarity, their product."""
    p = np.clip(np.asarray(confidence, dtype=np.float64), _EPS, 1 - _EPS)
    logit = np.log(p) - np.log1p(-p)
    s = np.asarray(similarity, dtype=np.float64)
    return np.stack([logit, s, logit * s], axis=1)


@dataclass
class DistanceCalibration:
    """The reference keys' vectors and one coefficient vector per cascade stage."""

    reference: np.ndarray  # (n, dim) unit vectors of the distinct training keys
    space: str  # STATIC (the fast stage's embedder) or MINILM
    coefficients: dict[str, tuple[float, ...]]  # stage -> (a, b, c, d)
    block: int = 4096  # reference rows per matrix product (bounds memory for big batches)

    def __post_init__(self) -> None:
        self.reference = np.ascontiguousarray(self.reference, dtype=np.float32)

    def similarity(self, vectors: np.ndarray) -> np.ndarray:
        """Cosine similarity of each (unit) vector to its nearest reference key."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if not len(vectors) or not len(self.reference):
            return np.zeros(len(vectors), dtype=np.float32)
        best = np.full(len(vectors), -1.0, dtype=np.float32)
        for start in range(0, len(self.reference), self.block):
            part = self.reference[start:start + self.block]
            np.maximum(best, (vectors @ part.T).max(axis=1), out=best)
        return best

    def calibrate(self, confidence: np.ndarray, similarity: np.ndarray, stage: str
                  ) -> np.ndarray:
        """P(the answer is right) for these head confidences at these similarities."""
        coef = self.coefficients.get(stage)
        if coef is None or not len(confidence):
            return np.asarray(confidence, dtype=np.float64)
        z = features(confidence, similarity) @ np.asarray(coef[:3]) + coef[3]
        return 1.0 / (1.0 + np.exp(-z))

    def save_pretrained(self, folder: Path) -> None:
        np.savez(folder / DISTANCE_WEIGHTS, reference=self.reference.astype(np.float16))
        config = {"space": self.space, "features": ["logit", "similarity", "logit*similarity",
                                                    "intercept"],
                  "coefficients": {k: list(v) for k, v in self.coefficients.items()}}
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
        return cls(reference, str(config["space"]),
                   {str(k): tuple(float(x) for x in v)
                    for k, v in config["coefficients"].items()})
