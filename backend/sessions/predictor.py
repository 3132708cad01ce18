"""Serving the step tagger: validate, sort, encode, window, predict, abstain, restore order.

Every input row comes back in its input position with a step name or
`Unclassified` (confidence below the threshold) and the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from backend.core.calibration import apply_temperature
from backend.core.cancel import checkpoint
from backend.core.errors import BadInputError
from backend.core.labels import UNCLASSIFIED
from backend.sessions.batching import make_batch, token_batches, windows
from backend.sessions.columns import AlignedEvents, align_columns
from backend.sessions.encoders import VectorSource
from backend.sessions.features import Encoded, SessionFeaturizer, prepare_events
from backend.sessions.images import confine_image_paths
from backend.sessions.model import StepTaggerNet

LABELS_FILE = "labels.json"


@dataclass
class StepPredictions:
    """Per-event results in input order, plus what produced them."""

    frame: pd.DataFrame  # step_name, confidence, abstained, predicted_step, reason
    threshold: float
    model_version: str
    warnings: list[str] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        return float(round(1.0 - self.frame["abstained"].mean(), 4)) if len(self.frame) else 0.0

    def summary(self) -> dict[str, Any]:
        counts = self.frame["step_name"].value_counts()
        return {"events": len(self.frame), "coverage": self.coverage,
                "abstained": int(self.frame["abstained"].sum()),
                "labels": {str(k): int(v) for k, v in counts.items()}}


@torch.no_grad()
def predict_encoded(net: StepTaggerNet, encoded: Encoded, max_tokens: int = 16_384,
                    temperature: float = 1.0) -> np.ndarray:
    """Probabilities per event in the encoded (sorted) order; long sessions by windows."""
    net.eval()
    probs = np.zeros((encoded.n, int(net.spec["n_labels"])), np.float32)
    group = windows(encoded.offsets, net.config.max_len, overlap=True)
    for chunk in token_batches(group, max_tokens):
        checkpoint()  # a request that timed out or lost its client stops here
        batch = make_batch(encoded, chunk)
        out = torch.softmax(net(batch.events, batch.cats, batch.dense, batch.mask), dim=-1)
        out_np = out.numpy()
        for row, window in enumerate(chunk):
            a, b = window.keep_start - window.start, window.keep_end - window.start
            probs[window.keep_start:window.keep_end] = out_np[row, a:b]
    return apply_temperature(probs, temperature)


# Padded positions per network call when serving. A call cannot be interrupted, so this is
# how long a cancelled request (timed out, client gone) still runs: 4,096 made one call ~1 s
# where 16,384 took 13-60 s on a loaded 2-core machine (60k events: 65 s in all vs 172 s).
SERVING_TOKENS = 4096


class StepPredictor:
    """A trained featurizer + network + label list + temperature + abstain threshold."""

    def __init__(self, net: StepTaggerNet, featurizer: SessionFeaturizer, labels: list[str],
                 threshold: float, version: str = "", max_tokens: int = SERVING_TOKENS,
                 temperature: float = 1.0, calibration: dict[str, Any] | None = None) -> None:
        self.net, self.featurizer = net.eval(), featurizer
        self.labels, self.threshold, self.version = list(labels), threshold, version
        self.max_tokens, self.temperature = max_tokens, temperature
        self.image_policy: tuple[bool, Path | None] = (False, None)  # serving: confine_images
        self.calibration = calibration or {}

    @property
    def columns(self) -> list[str]:
        cols = self.featurizer.columns
        return [*cols.required, *cols.features]

    @property
    def required_columns(self) -> list[str]:
        """Session, timestamp and event: the only columns a request must have."""
        return list(self.featurizer.columns.required)

    @property
    def optional_columns(self) -> list[str]:
        """Feature columns: a missing one is treated as all-missing, with a warning."""
        return list(self.featurizer.columns.features)

    def save_pretrained(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.featurizer.save(folder)
        self.net.save_pretrained(folder)
        (folder / LABELS_FILE).write_text(json.dumps(
            {"labels": self.labels, "threshold": self.threshold,
             "temperature": self.temperature, "calibration": self.calibration}, indent=1),
            encoding="utf-8")

    @classmethod
    def from_pretrained(cls, folder: Path, text_source: VectorSource | None = None,
                        version: str = "") -> StepPredictor:
        net, _ = StepTaggerNet.from_pretrained(folder)
        meta = json.loads((folder / LABELS_FILE).read_text(encoding="utf-8"))
        return cls(net, SessionFeaturizer.load(folder, text_source), meta["labels"],
                   float(meta["threshold"]), version,
                   temperature=float(meta.get("temperature", 1.0)),
                   calibration=meta.get("calibration") or {})

    def confine_images(self, root: Path | None) -> None:
        """Serving: image paths must lie under `root` (None: none are accepted); training
        and evaluation, which read their own files, leave this off."""
        self.image_policy = (True, root)

    def align(self, frame: pd.DataFrame) -> AlignedEvents:
        """Header names matched to the model's (case, spaces, colons, dots ignored); absent
        feature columns added as all-missing, each named in a warning. Doors call it once;
        `predict` takes its result as is."""
        return align_columns(frame, self.required_columns, self.optional_columns)

    @torch.no_grad()
    def predict_proba(self, events: pd.DataFrame | AlignedEvents,
                      warnings: list[str] | None = None) -> np.ndarray:
        """(n_events, n_labels) calibrated probabilities in the input row order; a plain
        frame (training, benchmarks) is aligned here first."""
        aligned = events if isinstance(events, AlignedEvents) else self.align(events)
        frame = aligned.frame
        if warnings is not None:
            warnings.extend(aligned.warnings)
        image = self.featurizer.columns.image
        if self.image_policy[0] and image and image in frame:
            frame = frame.assign(**{image: confine_image_paths(list(frame[image]),
                                                               self.image_policy[1])})
        prepared = prepare_events(frame, self.featurizer.columns)
        probs = predict_encoded(self.net, self.featurizer.transform(prepared), self.max_tokens,
                                self.temperature)
        restored = np.empty_like(probs)
        restored[prepared.order] = probs
        return restored

    def predict(self, frame: pd.DataFrame | AlignedEvents, threshold: float | None = None
                ) -> StepPredictions:
        """Label every event; below the threshold the step is `Unclassified` with a reason."""
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise BadInputError(f"threshold must be between 0 and 1, got {threshold}")
        cut = self.threshold if threshold is None else threshold
        warnings: list[str] = []
        probs = self.predict_proba(frame, warnings)
        best = probs.argmax(axis=1)
        confidence = probs[np.arange(len(best)), best].astype(np.float64)
        names = np.asarray(self.labels, dtype=object)[best]
        abstained = confidence < cut
        reasons = np.full(len(best), "", dtype=object)
        reasons[abstained] = [f"confidence {c:.3f} below threshold {cut:.3f}"
                              for c in confidence[abstained]]
        out = pd.DataFrame({
            "step_name": np.where(abstained, UNCLASSIFIED, names),
            "confidence": np.round(confidence, 4), "abstained": abstained,
            "predicted_step": names, "reason": reasons,
        })
        return StepPredictions(out, cut, self.version, warnings)
