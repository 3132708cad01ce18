"""The fallback tier's default provider: no LLM at all, the nearest labelled examples.

It stands where a Gemini or OpenAI-compatible model would (same protocol, same tier, same
budget rules) and is chosen by `LLM_PROVIDER=offline`, the default; it makes no network
call, so the tier does not budget it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from backend.core.normalize import template_key
from backend.embedding.embedder import Embedder
from backend.embedding.features import TextFeatures
from backend.logs.llm.base import LLMAnswer, LLMItem


class NearestExampleProvider:
    """k-nearest labelled examples, similarity-weighted vote.

    Similarity is the embedding cosine, averaged with the TF-IDF cosines of
    the model's surface features when it has them (literal words such as
    "deprecated" decide between neighbours that mean nearly the same). A line
    from a source with labelled examples of its own is compared with those
    only: a legacy system's vocabulary says more about its own labels than
    about the rest of the estate. A line whose best embedding cosine is below
    `min_similarity` gets no answer.
    """

    name = "offline"  # the LLM_PROVIDER value that selects it
    remote = False

    def __init__(self, embedder: Embedder, vectors: np.ndarray, labels: Sequence[str],
                 sources: Sequence[str] | None = None, k: int = 5,
                 min_similarity: float = 0.45, text_features: TextFeatures | None = None,
                 keys: Sequence[str] | None = None) -> None:
        self.embedder = embedder
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.labels = np.asarray(labels)
        self.sources = np.asarray(sources if sources is not None else [""] * len(self.labels))
        self.k = max(1, min(k, len(self.labels))) if len(self.labels) else 0
        self.min_similarity = min_similarity
        self.text_features: TextFeatures | None = None  # a model without keys: cosine only
        if text_features is not None and keys:
            if len(keys) != len(self.labels):
                raise ValueError("text features need one template key per labelled example")
            self.text_features = text_features
            self.example_text = text_features.transform(list(keys)).T.tocsr()
            self.text_blocks = len(text_features.vectorizers) * text_features.weight**2

    def classify(self, items: Sequence[LLMItem], labels: Sequence[str]) -> list[LLMAnswer]:
        if not items:
            return []
        if self.k == 0:
            return [LLMAnswer(None, 0.0, "offline LLM has no labelled examples")] * len(items)
        allowed = set(labels)
        keys = [template_key(i.message) for i in items]
        semantic = self.embedder.embed(keys) @ self.vectors.T
        if self.text_features is None:
            sims = semantic.copy()  # masked below; `semantic` stays whole for the floor
        else:
            text = self.text_features.transform(keys) @ self.example_text
            sims = (semantic + text.toarray()) / (1.0 + self.text_blocks)
        masks: dict[str, np.ndarray] = {}
        for i, item in enumerate(items):
            if item.source not in masks:
                masks[item.source] = self.sources == item.source
            own = masks[item.source]
            if own.sum() >= self.k:
                sims[i, ~own] = -1.0
        top = np.argsort(-sims, axis=1)[:, : self.k]
        answers = []
        for row, meaning, idx in zip(sims, semantic, top, strict=True):
            best = float(meaning[idx].max())
            if best < self.min_similarity:
                answers.append(LLMAnswer(None, 0.0, f"no similar labelled example "
                                                    f"(best cosine {best:.2f})"))
                continue
            votes: dict[str, float] = {}
            for j in idx:
                if self.labels[j] in allowed:
                    votes[str(self.labels[j])] = votes.get(str(self.labels[j]), 0.0) + max(
                        float(row[j]), 0.0)
            if not votes:
                answers.append(LLMAnswer(None, 0.0, "nearest examples carry no allowed label"))
                continue
            label = max(votes, key=votes.__getitem__)
            answers.append(LLMAnswer(label, votes[label] / sum(votes.values())))
        return answers
