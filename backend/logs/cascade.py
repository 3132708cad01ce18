"""The model tier as a cascade: a fast stage answers new template keys it is sure of,
MiniLM (the full stage) the rest, in one batch.

Stage 1 (`fast`) reads the static vector of the key (`backend.embedding.static`)
beside the same TF-IDF features the full stage uses, through its own
calibrated linear head. A key whose stage-1 confidence reaches the cascade
threshold is answered there; every other key goes, in one batch, to today's
MiniLM hybrid. `train-logs` chooses the threshold on held-out templates and
stores it with the fast head (`fast/head.json`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from backend.embedding.features import TextFeatures, hstack_csr
from backend.embedding.linear import HEAD_CONFIG, LinearHead
from backend.embedding.static import STATIC_FOLDER, StaticEmbedder, copy_static_model
from backend.logs.distance import MINILM, STATIC, second_opinion
from backend.logs.levels import level_columns

if TYPE_CHECKING:
    from backend.embedding.embedder import Embedder
    from backend.logs.model import LogModel

FAST, FULL = "fast", "full"
FAST_FOLDER = "fast"


def unique_embed(embedder: StaticEmbedder, keys: Sequence[str]) -> np.ndarray:
    """Static vectors of `keys`, each distinct key embedded once."""
    unique = list(dict.fromkeys(keys))
    vectors = embedder.embed(unique)
    if len(unique) != len(keys):
        rows = {k: i for i, k in enumerate(unique)}
        vectors = vectors[[rows[k] for k in keys]]
    return vectors


def static_inputs(embedder: StaticEmbedder, text: TextFeatures | None, keys: Sequence[str],
                  blocks: tuple[str, ...] | None, vectors: np.ndarray | None = None,
                  levels: Sequence[str | None] | None = None, level_weight: float = 1.0,
                  tfidf: sparse.csr_matrix | None = None) -> np.ndarray | sparse.csr_matrix:
    """What the fast head reads: static vectors (given, or embedded here) beside the
    model's TF-IDF blocks (given as `tfidf`, or computed here), and the level columns for
    a model trained with levels."""
    if vectors is None:
        vectors = unique_embed(embedder, keys)
    x = text.combine(vectors, keys, blocks, tfidf) if text is not None else vectors
    if levels is None:
        return x
    return hstack_csr([x, level_columns(levels, level_weight)])


@dataclass
class FastStage:
    """Stage 1: the static embedder, its head, and the cascade threshold."""

    head: LinearHead
    embedder: StaticEmbedder
    threshold: float  # a key at or above this stage-1 confidence is answered by stage 1
    blocks: tuple[str, ...] | None = None  # TF-IDF blocks it reads (None: all)

    def inputs(self, text: TextFeatures | None, keys: Sequence[str],
               vectors: np.ndarray | None = None, levels: Sequence[str | None] | None = None,
               level_weight: float = 1.0, tfidf: sparse.csr_matrix | None = None
               ) -> np.ndarray | sparse.csr_matrix:
        return static_inputs(self.embedder, text, keys, self.blocks, vectors, levels,
                             level_weight, tfidf)

    def reads_every_block(self, text: TextFeatures | None) -> bool:
        """Whether this stage reads all of `text`'s TF-IDF blocks, as the full stage does
        (then both stages can share one TF-IDF pass over the keys)."""
        return text is not None and (self.blocks is None
                                     or set(self.blocks) >= set(text.vectorizers))

    def save_pretrained(self, folder: Path) -> None:
        self.head.extra["cascade_threshold"] = self.threshold
        self.head.extra["text_blocks"] = list(self.blocks) if self.blocks is not None else None
        self.head.save_pretrained(folder / FAST_FOLDER)
        if (folder / STATIC_FOLDER).resolve() != self.embedder.folder.resolve():
            copy_static_model(self.embedder.folder, folder, self.embedder.name)

    @classmethod
    def from_pretrained(cls, folder: Path) -> FastStage | None:
        """The stored fast stage, or None for a model trained before the cascade."""
        if not (folder / FAST_FOLDER / HEAD_CONFIG).is_file():
            return None
        head = LinearHead.from_pretrained(folder / FAST_FOLDER)
        threshold = float(head.extra.pop("cascade_threshold"))  # type: ignore[arg-type]
        blocks = head.extra.pop("text_blocks", None)
        return cls(head, StaticEmbedder(folder / STATIC_FOLDER), threshold,
                   tuple(blocks) if blocks is not None else None)  # type: ignore[arg-type]


def _rows(x: sparse.csr_matrix | None, rows: list[int]) -> sparse.csr_matrix | None:
    """`x[rows]`, without the copy when `rows` is every row in order (one new key)."""
    if x is None or rows == list(range(x.shape[0])):
        return x
    return x[rows]


def answer_keys(model: LogModel, embedder: Embedder, keys: Sequence[str],
                threshold: float | None) -> list[tuple[str, float, str]]:
    """(label, confidence, stage) per key. `threshold` None, or a model without a fast
    stage: every key goes to the full stage, exactly as before. A model with a distance
    calibration (v5 on) answers with its calibrated confidence, which falls with the
    key's distance to the training keys; the hand-over between the stages still reads
    the fast head's own confidence (the stages' labels are what it trades)."""
    bare, levels = model.split_levels(keys)
    fast, dist, weight = model.fast, model.distance, model.level_weight
    static = (unique_embed(fast.embedder, bare) if fast is not None and (
        threshold is not None or (dist is not None and dist.space == STATIC)) else None)
    sims = dist.similarity(static) if dist is not None and static is not None else None
    if threshold is None or fast is None:
        vectors = embedder.embed(bare)
        labels, conf = model.head.predict(model.inputs(vectors, bare, levels))
        if dist is not None and sims is None and dist.space == MINILM:
            sims = dist.similarity(vectors)
        if dist is not None and sims is not None:
            opinion = None
            if fast is not None and dist.reads_opinion(FULL):  # static is set then
                opinion = second_opinion(labels, fast.head.predict_proba(fast.inputs(
                    model.text_features, bare, static, levels, weight)), fast.head.classes)
            conf = dist.calibrate(conf, sims, FULL, labels, opinion)
        if dist is not None:
            conf = dist.chance(conf, dist.minilm_known(vectors))
        return [(label, c, FULL) for label, c in zip(labels, conf.tolist(), strict=True)]
    text = model.text_features
    # one TF-IDF pass when both stages read the same blocks: the full stage takes its rows
    tfidf = text.transform(bare) if text is not None and fast.reads_every_block(text) else None
    fast_proba = fast.head.predict_proba(fast.inputs(text, bare, static, levels, weight, tfidf))
    labels, conf = fast.head.best(fast_proba)
    served = (dist.calibrate(conf, sims, FAST, labels)
              if dist is not None and sims is not None else conf)
    out: list[tuple[str, float, str]] = [
        (label, c, FAST) for label, c in zip(labels, served.tolist(), strict=True)]
    # a key none of whose words training saw goes on to MiniLM however sure stage 1 is:
    # only there can the model tell that it is far from everything it learnt
    unsure_rows = conf < threshold
    if dist is not None:
        unsure_rows |= dist.novel(bare)
    unsure = np.flatnonzero(unsure_rows).tolist()
    if unsure:
        todo = [bare[i] for i in unsure]
        todo_levels = [levels[i] for i in unsure] if levels is not None else None
        todo_vectors = embedder.embed(todo)
        full_labels, full_conf = model.head.predict(
            model.inputs(todo_vectors, todo, todo_levels, _rows(tfidf, unsure)))
        if dist is not None and sims is not None:
            opinion = (second_opinion(full_labels, fast_proba[unsure], fast.head.classes)
                       if dist.reads_opinion(FULL) else None)
            full_conf = dist.calibrate(full_conf, sims[unsure], FULL, full_labels, opinion)
        if dist is not None:
            full_conf = dist.chance(full_conf, dist.minilm_known(todo_vectors))
        for i, label, c in zip(unsure, full_labels, full_conf.tolist(), strict=True):
            out[i] = (label, c, FULL)
    return out
