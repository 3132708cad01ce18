"""Task model v2: MiniLM embedding ++ TF-IDF n-grams -> logistic regression, with an
out-of-domain class and a calibrated auto-select threshold.

MiniLM sees a title's topic (payments, wards, papers) more than its kind of work;
the n-grams keep the words that decide a category ("mockup", "spike", "sync").
The out-of-domain class is trained on items people wrote that are not tasks; it
is never returned as a category: a row where it wins abstains (category null).

v4 also reads the title apart (word n-grams of the title alone, `title_features`):
a title names the kind of work more often than a description, which mostly names
the topic.

Stored with the log model's parts, no pickle: `head.npz` + `head.json` (the
`LinearHead`, classes include the out-of-domain class, `threshold` chosen on
held-out authors), `features.json` + `features.npz` (`TextFeatures`), v4's
`title_features.json` + `.npz`, and `model.json` (embedder, out-of-domain label,
where the threshold came from).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from backend.embedding.features import TextFeatures
from backend.embedding.linear import HEAD_WEIGHTS, LinearHead

OUT_OF_DOMAIN = "out_of_domain"
CONFIG_FILE = "model.json"
WORD_BLOCKS = ("words",)  # the TF-IDF blocks a v2 head reads (v3 adds "chars": its config)
TITLE_FEATURES = "title_features"  # file stem of v4's title block
TITLE_BLOCKS = ("words",)


@dataclass
class TaskLinearModel:
    head: LinearHead
    features: TextFeatures
    embedder: str
    config: dict[str, Any] = field(default_factory=dict)
    title_features: TextFeatures | None = None  # v4: word n-grams of the title alone

    @property
    def classes(self) -> list[str]:
        """Every class of the head, the out-of-domain class included."""
        return self.head.classes

    @property
    def categories(self) -> list[str]:
        """The categories this model can give (never the out-of-domain class)."""
        return [c for c in self.head.classes if c != OUT_OF_DOMAIN]

    @property
    def threshold(self) -> float:
        return self.head.threshold

    @property
    def blocks(self) -> tuple[str, ...]:
        return tuple(self.config.get("blocks", WORD_BLOCKS))

    def predict_proba(self, vectors: np.ndarray, texts: Sequence[str],
                      titles: Sequence[str] | None = None) -> np.ndarray:
        """Class probabilities, columns in `classes` order; `texts` are `model_text`s of
        title and description, `titles` (`title_text`) those of the title alone (read by a
        model with `title_features` only, which needs them)."""
        x = self.features.combine(vectors, texts, self.blocks)
        if self.title_features is not None:
            if titles is None:
                raise ValueError("this task model reads the title apart: pass the titles")
            x = sparse.hstack([x, self.title_features.transform(titles, TITLE_BLOCKS)],
                              format="csr")
        return self.head.predict_proba(x)

    def save_pretrained(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.head.save_pretrained(folder)
        self.features.save_pretrained(folder)
        if self.title_features is not None:
            self.title_features.save_pretrained(folder, TITLE_FEATURES)
        config = {"embedder": self.embedder, **self.config, "blocks": list(self.blocks)}
        (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n",
                                          encoding="utf-8")

    @classmethod
    def from_pretrained(cls, folder: Path) -> TaskLinearModel:
        config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        features = TextFeatures.from_pretrained(folder)
        if features is None:
            raise ValueError(f"{folder} has no features.json: not a task model v2")
        return cls(LinearHead.from_pretrained(folder), features, str(config.pop("embedder")),
                   config, TextFeatures.from_pretrained(folder, TITLE_FEATURES))

    @staticmethod
    def is_stored_in(folder: Path) -> bool:
        """True for a v2-style folder (a linear head), False for v1's MLP head."""
        return (folder / HEAD_WEIGHTS).is_file() and (folder / CONFIG_FILE).is_file()


def decide_rows(proba: np.ndarray, classes: Sequence[str]
                ) -> tuple[list[str | None], np.ndarray]:
    """Per row: the category (None where the out-of-domain class wins) and its confidence,
    the largest probability among the categories. The serving facade, the trainer's
    threshold choice and the bench all decide through this one rule."""
    classes = list(classes)
    inside = np.asarray([c != OUT_OF_DOMAIN for c in classes])
    scores = np.where(inside[None, :], proba, -1.0)
    best = scores.argmax(axis=1)
    confidence = proba[np.arange(len(best)), best]
    abstain = proba.argmax(axis=1) != best if not inside.all() else np.zeros(len(best), bool)
    return ([None if a else classes[i] for a, i in zip(abstain, best, strict=True)],
            confidence.astype(np.float64))
