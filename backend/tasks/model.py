"""The task head: Dense(hidden) -> ReLU -> Dropout -> Dense(classes), softmax on top.

Stored as `head.safetensors` (weights) + `head.json` (whitelisted config with the
class list). Probabilities map to labels through the stored class list only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

WEIGHTS_FILE = "head.safetensors"
CONFIG_FILE = "head.json"
CONFIG_KEYS = ("classes", "input_dim", "hidden", "dropout", "embedder", "temperature")


class TaskHead(nn.Module):
    """A tiny MLP over sentence embeddings."""

    def __init__(self, classes: list[str], input_dim: int = 384, hidden: int = 128,
                 dropout: float = 0.2, embedder: str = "all-MiniLM-L6-v2",
                 temperature: float = 1.0) -> None:
        super().__init__()
        if len(set(classes)) != len(classes) or len(classes) < 2:
            raise ValueError(f"need at least two distinct classes, got {classes}")
        self.classes = list(classes)
        self.input_dim, self.hidden, self.dropout = input_dim, hidden, dropout
        self.embedder = embedder
        self.temperature = temperature
        self.net = nn.Sequential(nn.Linear(input_dim, hidden), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, len(classes)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.net(x)
        return logits

    @torch.no_grad()
    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities, columns in `self.classes` order."""
        self.eval()
        logits = self.forward(torch.as_tensor(np.asarray(x, dtype=np.float32)))
        return torch.softmax(logits / self.temperature, dim=1).numpy()

    def predict(self, x: np.ndarray) -> list[str]:
        return [self.classes[i] for i in self.predict_proba(x).argmax(axis=1)]

    def config(self) -> dict[str, Any]:
        return {"classes": self.classes, "input_dim": self.input_dim, "hidden": self.hidden,
                "dropout": self.dropout, "embedder": self.embedder,
                "temperature": self.temperature}

    def save_pretrained(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
        save_file(state, str(folder / WEIGHTS_FILE))
        (folder / CONFIG_FILE).write_text(json.dumps(self.config(), indent=2) + "\n",
                                          encoding="utf-8")

    @classmethod
    def from_pretrained(cls, folder: Path) -> TaskHead:
        raw = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        config = {k: raw[k] for k in CONFIG_KEYS if k in raw}
        head = cls(**config)
        head.load_state_dict(load_file(str(folder / WEIGHTS_FILE)))
        head.eval()
        return head
