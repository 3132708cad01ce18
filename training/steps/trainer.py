"""The training loop: AdamW, gradient clipping, masked loss, early stopping on val macro-F1.

Seeded end to end (data order, unknown-bucket dropout, initialisation), so
the same config and data give the same model.
"""

from __future__ import annotations

import copy
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from sklearn.metrics import f1_score
from torch import nn
from tqdm.auto import tqdm

from backend.core.calibration import (
    apply_temperature,
    fit_temperature,
    log_probs,
    threshold_for_precision,
)
from backend.sessions.batching import make_batch, windows
from backend.sessions.config import StepsConfig
from backend.sessions.encoders import UNKNOWN, VectorSource
from backend.sessions.features import Encoded, SessionFeaturizer
from backend.sessions.model import StepTaggerNet
from backend.sessions.predictor import StepPredictor, predict_encoded
from training.steps.data import Splits, label_ids

logger = logging.getLogger(__name__)

EpochCallback = Callable[[int, float], None]


@dataclass
class TrainResult:
    predictor: StepPredictor
    best_epoch: int
    best_val_macro_f1: float
    history: list[dict[str, float]] = field(default_factory=list)


def seed_everything(seed: int, threads: int = 1) -> None:
    """One torch thread by default: the small sequential LSTM steps run faster without OpenMP
    hand-offs (measured 6x on a busy 2-core machine)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(min(threads, torch.get_num_threads()))
    torch.use_deterministic_algorithms(True, warn_only=True)


def macro_f1(probs: np.ndarray, labels: np.ndarray, ignore_index: int) -> float:
    keep = labels != ignore_index
    return float(f1_score(labels[keep], probs[keep].argmax(1), average="macro", zero_division=0))


def class_weights(y: np.ndarray, n_labels: int, mode: str) -> torch.Tensor | None:
    """Per-step loss weights from training frequencies, averaging 1 over the events."""
    if mode == "none":
        return None
    counts = np.bincount(y[y >= 0], minlength=n_labels).astype(np.float64)
    power = 0.5 if mode == "sqrt" else 1.0
    weights = np.where(counts > 0, (counts.sum() / np.maximum(counts, 1)) ** power, 1.0)
    weights /= (weights * counts).sum() / max(counts.sum(), 1.0)
    return torch.tensor(weights, dtype=torch.float32)


class StepTrainer:
    """Owns the loop; the model and featurizer come out as one `StepPredictor`."""

    def __init__(self, config: StepsConfig, text_source: VectorSource | None,
                 progress: bool = True, on_epoch: EpochCallback | None = None) -> None:
        self.config, self.text_source = config, text_source
        self.progress, self.on_epoch = progress, on_epoch
        self._weights: torch.Tensor | None = None

    def _corrupt(self, events: torch.Tensor, cats: torch.Tensor, gen: torch.Generator) -> None:
        """Train the unknown bucket: replace a few known values by it, in place."""
        rate = self.config.features.unknown_rate
        if rate <= 0:
            return
        hit = (torch.rand(events.shape, generator=gen) < rate) & (events > 0)
        events[hit] = UNKNOWN
        if cats.shape[-1]:
            hit = (torch.rand(cats.shape, generator=gen) < rate) & (cats > 0)
            cats[hit] = UNKNOWN

    def _epoch(self, net: StepTaggerNet, opt: torch.optim.Optimizer, enc: Encoded,
               y: np.ndarray, rng: np.random.Generator, gen: torch.Generator) -> float:
        t = self.config.training
        loss_fn = nn.CrossEntropyLoss(weight=self._weights, ignore_index=t.ignore_index)
        group = windows(enc.offsets, self.config.model.max_len, overlap=False)
        order = rng.permutation(len(group))
        net.train()
        total, steps = 0.0, 0
        for i in range(0, len(order), t.batch_size):
            batch = make_batch(enc, [group[j] for j in order[i:i + t.batch_size]])
            self._corrupt(batch.events, batch.cats, gen)
            logits = net(batch.events, batch.cats, batch.dense, batch.mask)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]),
                           torch.from_numpy(y[batch.index]).reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), t.grad_clip)
            opt.step()
            total, steps = total + float(loss.detach()), steps + 1
        return total / max(steps, 1)

    def fit(self, splits: Splits, epochs: int | None = None) -> TrainResult:
        cfg, t = self.config, self.config.training
        seed_everything(cfg.seed)
        featurizer = SessionFeaturizer.fit(splits.train, cfg.columns, cfg.features,
                                           self.text_source)
        enc_train, enc_val = featurizer.transform(splits.train), featurizer.transform(splits.val)
        y_train = label_ids(splits.train, cfg.columns.label, splits.labels, t.ignore_index)
        y_val = label_ids(splits.val, cfg.columns.label, splits.labels, t.ignore_index)[:-1]
        self._weights = class_weights(y_train, len(splits.labels), t.class_weight)
        net = StepTaggerNet(cfg.model, len(splits.labels), featurizer.events.size,
                            [c.size for c in featurizer.cats], featurizer.dense_dim,
                            cfg.features.event_emb_dim, cfg.features.cat_emb_dim)
        opt = torch.optim.AdamW(net.parameters(), lr=t.lr, weight_decay=t.weight_decay)
        rng, gen = np.random.default_rng(cfg.seed), torch.Generator().manual_seed(cfg.seed)
        best_f1, best_epoch, best_state, history = -1.0, 0, None, []
        bar = tqdm(range(1, (epochs or t.epochs) + 1), desc="train-steps",
                   disable=not self.progress, unit="epoch")
        for epoch in bar:
            loss = self._epoch(net, opt, enc_train, y_train, rng, gen)
            val_f1 = macro_f1(predict_encoded(net, enc_val), y_val, t.ignore_index)
            history.append({"epoch": epoch, "train_loss": round(loss, 5),
                            "val_macro_f1": round(val_f1, 5)})
            bar.set_postfix(loss=f"{loss:.4f}", val_f1=f"{val_f1:.4f}")
            if self.on_epoch is not None:
                self.on_epoch(epoch, val_f1)
            if val_f1 > best_f1:
                best_f1, best_epoch, best_state = val_f1, epoch, copy.deepcopy(net.state_dict())
            elif epoch - best_epoch >= t.patience:
                logger.info("early stop at epoch %d (best %d, val macro-F1 %.4f)",
                            epoch, best_epoch, best_f1)
                break
        if best_state is not None:
            net.load_state_dict(best_state)
        temperature, threshold, calibration = self.calibrate(predict_encoded(net.eval(),
                                                                             enc_val), y_val)
        predictor = StepPredictor(net.eval(), featurizer, splits.labels, threshold,
                                  temperature=temperature, calibration=calibration)
        return TrainResult(predictor, best_epoch, round(best_f1, 5), history)

    def calibrate(self, probs: np.ndarray, y: np.ndarray) -> tuple[float, float, dict[str, Any]]:
        """Temperature and threshold from the validation sessions (never the test ones)."""
        target = self.config.evaluation.target_precision
        if target is None:
            return 1.0, self.config.evaluation.threshold, {}
        keep = y >= 0
        temperature = fit_temperature(log_probs(probs[keep]), y[keep])
        scaled = apply_temperature(probs[keep], temperature)
        chosen = threshold_for_precision(scaled.max(axis=1), scaled.argmax(axis=1) == y[keep],
                                         target)
        precision_all = chosen["precision_answering_all"]  # no threshold gives less
        calibration = {"temperature": temperature, "target_precision": target,
                       "validation_events": int(keep.sum()),
                       "validation_precision": chosen["precision"],
                       "validation_coverage": chosen["coverage"],
                       "validation_precision_answering_all": precision_all}
        if precision_all >= target:
            logger.warning("target precision %s is below the %s this model reaches answering "
                           "every validation event: it will answer everything; raise "
                           "--target-precision to trade coverage for precision",
                           target, precision_all)
        logger.info("calibrated on validation: %s, threshold %.4f", calibration,
                    chosen["threshold"])
        return temperature, chosen["threshold"], calibration
