"""The model tier's head: multinomial logistic regression with temperature calibration.

Stored as `head.npz` (coef, intercept) + `head.json` (classes, temperature,
threshold); probabilities map to labels through the stored class list only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from backend.core.calibration import softmax

HEAD_WEIGHTS = "head.npz"
HEAD_CONFIG = "head.json"


@dataclass
class LinearHead:
    coef: np.ndarray  # (n_classes, dim)
    intercept: np.ndarray  # (n_classes,)
    classes: list[str]
    temperature: float = 1.0
    threshold: float = 0.5
    extra: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.coef = np.asarray(self.coef, dtype=np.float32)
        self.intercept = np.asarray(self.intercept, dtype=np.float32)
        if not self.coef.shape[0] == len(self.classes) == self.intercept.shape[0]:
            raise ValueError(
                f"head shape mismatch: coef {self.coef.shape}, intercept "
                f"{self.intercept.shape}, {len(self.classes)} classes")

    def logits(self, x: np.ndarray | sparse.spmatrix) -> np.ndarray:
        if not sparse.issparse(x):
            x = np.asarray(x, dtype=np.float32)
        return np.asarray(x @ self.coef.T) + self.intercept

    def predict_proba(self, x: np.ndarray | sparse.spmatrix) -> np.ndarray:
        return softmax(self.logits(x), self.temperature)

    def predict(self, x: np.ndarray | sparse.spmatrix) -> tuple[list[str], np.ndarray]:
        """Labels and their calibrated probabilities."""
        return self.best(self.predict_proba(x))

    def best(self, proba: np.ndarray) -> tuple[list[str], np.ndarray]:
        """The most probable label of each row of `proba` and its probability."""
        idx = proba.argmax(axis=1)
        return [self.classes[i] for i in idx], proba[np.arange(len(idx)), idx]

    def save_pretrained(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(folder / HEAD_WEIGHTS, coef=self.coef, intercept=self.intercept)
        config = {"classes": self.classes, "temperature": self.temperature,
                  "threshold": self.threshold, **self.extra}
        (folder / HEAD_CONFIG).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def from_pretrained(cls, folder: Path) -> LinearHead:
        config = json.loads((folder / HEAD_CONFIG).read_text(encoding="utf-8"))
        with np.load(folder / HEAD_WEIGHTS, allow_pickle=False) as weights:
            coef, intercept = weights["coef"], weights["intercept"]
        classes = [str(c) for c in config.pop("classes")]
        return cls(coef, intercept, classes, float(config.pop("temperature", 1.0)),
                   float(config.pop("threshold", 0.5)), config)
