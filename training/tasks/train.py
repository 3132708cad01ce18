"""Trainer for the task head: seeded, early stopping on validation loss, best checkpoint.

`TaskTrainingArguments` shapes a run; `TaskTrainer.fit` owns the loop; `group_split`
holds out whole templates so the test figure is about unseen phrasings.
"""

from __future__ import annotations

import copy
import logging
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from backend.core.calibration import fit_temperature
from backend.tasks.model import TaskHead

logger = logging.getLogger(__name__)


@dataclass
class TaskTrainingArguments:
    """Everything that shapes a training run (recorded in the manifest)."""

    hidden: int = 128
    dropout: float = 0.2
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    batch_size: int = 64
    max_epochs: int = 60
    patience: int = 6
    val_size: float = 0.15
    test_size: float = 0.2
    correction_weight: float = 20.0
    seed: int = 42

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def group_split(frame: pd.DataFrame, test_size: float, seed: int,
                group: str = "template_id", label: str = "category") -> np.ndarray:
    """Boolean test mask: per label, a seeded share of whole groups goes to test."""
    rng = random.Random(seed)
    test_groups: set[str] = set()
    for _, part in frame.groupby(label, sort=True):
        groups = sorted(part[group].unique())
        rng.shuffle(groups)
        n_test = max(1, round(len(groups) * test_size)) if len(groups) > 1 else 0
        test_groups.update(groups[:n_test])
    return frame[group].isin(test_groups).to_numpy()


class TaskTrainer:
    """Fits a `TaskHead` on embeddings; sample weights let corrections count more."""

    def __init__(self, args: TaskTrainingArguments) -> None:
        self.args = args
        self.history: list[dict[str, float]] = []
        self.best_epoch = 0

    def fit(self, x: np.ndarray, y: list[str], classes: list[str], embedder: str,
            weights: np.ndarray | None = None, groups: list[str] | None = None,
            checkpoint_dir: Path | None = None) -> TaskHead:
        """Train on (x, y); validation rows (early stopping, temperature) are whole
        `groups` when given, so calibration reflects unseen phrasings."""
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # a tiny MLP: one thread beats contention on 2 cores
        try:
            return self._fit(x, y, classes, embedder, weights, groups, checkpoint_dir)
        finally:
            torch.set_num_threads(threads)

    def _validation_mask(self, w: np.ndarray, groups: list[str] | None,
                         rng: np.random.Generator) -> np.ndarray:
        """Validation only from weight-1 rows: corrections are always trained on."""
        candidates = np.flatnonzero(w <= 1.0)
        is_val = np.zeros(len(w), dtype=bool)
        if groups is not None:
            names = sorted({groups[i] for i in candidates})
            chosen = set(rng.choice(names, size=max(1, int(len(names) * self.args.val_size)),
                                    replace=False))
            is_val[[i for i in candidates if groups[i] in chosen]] = True
        else:
            size = int(len(candidates) * self.args.val_size)
            is_val[rng.choice(candidates, size=size, replace=False)] = True
        return is_val

    def _fit(self, x: np.ndarray, y: list[str], classes: list[str], embedder: str,
             weights: np.ndarray | None, groups: list[str] | None,
             checkpoint_dir: Path | None) -> TaskHead:
        args = self.args
        torch.manual_seed(args.seed)
        rng = np.random.default_rng(args.seed)
        index = {c: i for i, c in enumerate(classes)}
        target = torch.as_tensor([index[label] for label in y])
        w = torch.as_tensor(np.ones(len(y)) if weights is None else weights, dtype=torch.float32)
        inputs = torch.as_tensor(np.asarray(x, dtype=np.float32))
        is_val = self._validation_mask(w.numpy(), groups, rng)
        train_idx = np.flatnonzero(~is_val)
        head = TaskHead(classes, inputs.shape[1], args.hidden, args.dropout, embedder)
        optimiser = torch.optim.AdamW(head.parameters(), lr=args.learning_rate,
                                      weight_decay=args.weight_decay)
        loss_fn = nn.CrossEntropyLoss(reduction="none")
        best_loss, best_state, stale = float("inf"), copy.deepcopy(head.state_dict()), 0
        for epoch in range(args.max_epochs):
            head.train()
            order = train_idx[rng.permutation(len(train_idx))]
            for start in range(0, len(order), args.batch_size):
                batch = torch.as_tensor(order[start:start + args.batch_size])
                loss = (loss_fn(head(inputs[batch]), target[batch]) * w[batch]).sum() \
                    / w[batch].sum()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            val_loss = self._val_loss(head, inputs[is_val], target[is_val], loss_fn)
            self.history.append({"epoch": epoch, "val_loss": round(val_loss, 5)})
            if val_loss < best_loss - 1e-4:
                best_loss, best_state, stale = val_loss, copy.deepcopy(head.state_dict()), 0
                self.best_epoch = epoch
                if checkpoint_dir is not None:
                    head.save_pretrained(checkpoint_dir)
            else:
                stale += 1
                if stale >= args.patience:
                    break
        head.load_state_dict(best_state)
        head.temperature = self._calibrate(head, inputs[is_val], target[is_val])
        head.eval()
        logger.info("task head: best epoch %d of %d, val loss %.4f, temperature %.2f",
                    self.best_epoch, len(self.history), best_loss, head.temperature)
        return head

    @staticmethod
    @torch.no_grad()
    def _val_loss(head: TaskHead, x: torch.Tensor, y: torch.Tensor,
                  loss_fn: nn.CrossEntropyLoss) -> float:
        if len(y) == 0:
            return 0.0
        head.eval()
        return float(loss_fn(head(x), y).mean())

    @staticmethod
    def _calibrate(head: TaskHead, x: torch.Tensor, y: torch.Tensor) -> float:
        """Temperature scaling on the validation rows (1.0 when there are none)."""
        if len(y) < 10:
            return 1.0
        with torch.no_grad():
            logits = head(x)
        return fit_temperature(logits.numpy(), y.numpy())
