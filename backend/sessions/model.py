"""The step tagger network: event embedding + fused side features -> BiLSTM or Transformer.

`concat` fusion projects [event; side] jointly; `gated` projects each to
d_model and mixes them with a learned per-dimension sigmoid gate, so the
model can lean on context where the event name is ambiguous.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from backend.sessions.config import ModelConfig

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "model.json"


class Fusion(nn.Module):
    def __init__(self, event_dim: int, side_dim: int, out_dim: int, mode: str,
                 dropout: float) -> None:
        super().__init__()
        self.mode = mode
        if mode == "concat":
            self.proj = nn.Linear(event_dim + side_dim, out_dim)
        else:
            self.event_proj = nn.Linear(event_dim, out_dim)
            self.side_proj = nn.Linear(max(side_dim, 1), out_dim)
            self.gate = nn.Linear(event_dim + side_dim, out_dim)
        self.norm = nn.LayerNorm(out_dim)
        self.drop = nn.Dropout(dropout)

    def forward(self, event: torch.Tensor, side: torch.Tensor) -> torch.Tensor:
        both = torch.cat([event, side], dim=-1)
        if self.mode == "concat":
            fused = torch.relu(self.proj(both))
        else:
            side_in = side if side.shape[-1] else torch.zeros_like(event[..., :1])
            gate = torch.sigmoid(self.gate(both))
            fused = gate * torch.tanh(self.event_proj(event)) + (1 - gate) * torch.tanh(
                self.side_proj(side_in))
        return self.drop(self.norm(fused))


class PositionalEncoding(nn.Module):
    """Sinusoidal positions, computed for any length (no table to outgrow)."""

    freq: torch.Tensor

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.register_buffer("freq", torch.exp(torch.arange(0, d_model, 2).float()
                                               * (-math.log(10000.0) / d_model)),
                             persistent=False)
        self.d_model = d_model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(x.shape[1], device=x.device, dtype=torch.float32)[:, None]
        angles = pos * self.freq[None, :]
        pe = torch.zeros(x.shape[1], self.d_model, device=x.device)
        pe[:, 0::2] = torch.sin(angles)
        pe[:, 1::2] = torch.cos(angles[:, : self.d_model // 2])
        return x + pe[None]


class StepTaggerNet(nn.Module):
    """(events, cats, dense, mask) -> per-event logits over the step labels."""

    def __init__(self, config: ModelConfig, n_labels: int, n_events: int, cat_sizes: list[int],
                 dense_dim: int, event_dim: int = 32, cat_dim: int = 8) -> None:
        super().__init__()
        self.config = config
        self.spec: dict[str, Any] = {
            "n_labels": n_labels, "n_events": n_events, "cat_sizes": list(cat_sizes),
            "dense_dim": dense_dim, "event_dim": event_dim, "cat_dim": cat_dim}
        self.event_emb = nn.Embedding(n_events, event_dim, padding_idx=0)
        self.cat_embs = nn.ModuleList(nn.Embedding(n, cat_dim, padding_idx=0) for n in cat_sizes)
        side_dim = cat_dim * len(cat_sizes) + dense_dim
        self.fusion = Fusion(event_dim, side_dim, config.d_model, config.fusion, config.dropout)
        if config.type == "bilstm":
            self.lstm = nn.LSTM(config.d_model, config.lstm_hidden, config.lstm_layers,
                                batch_first=True, bidirectional=True,
                                dropout=config.dropout if config.lstm_layers > 1 else 0.0)
            out_dim = 2 * config.lstm_hidden
        else:
            self.pos = PositionalEncoding(config.d_model)
            layer = nn.TransformerEncoderLayer(config.d_model, config.n_heads, config.ff_dim,
                                               config.dropout, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, config.n_layers,
                                                 enable_nested_tensor=False)
            out_dim = config.d_model
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(out_dim, n_labels)

    def forward(self, events: torch.Tensor, cats: torch.Tensor, dense: torch.Tensor,
                mask: torch.Tensor) -> torch.Tensor:
        side = [emb(cats[..., i]) for i, emb in enumerate(self.cat_embs)]
        x = self.fusion(self.event_emb(events), torch.cat([*side, dense], dim=-1))
        if self.config.type == "bilstm":
            lengths = mask.sum(dim=1).clamp(min=1).cpu()
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, _ = self.lstm(packed)
            x, _ = pad_packed_sequence(out, batch_first=True, total_length=events.shape[1])
        else:
            x = self.encoder(self.pos(x), src_key_padding_mask=~mask)
        return self.head(self.drop(x))

    def save_pretrained(self, folder: Path, extra: dict[str, Any] | None = None) -> None:
        """Weights as safetensors plus a whitelisted JSON config (no pickle)."""
        folder.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
        save_file(state, str(folder / WEIGHTS_FILE))
        data = {"model": self.config.model_dump(mode="json"), "spec": self.spec, **(extra or {})}
        (folder / CONFIG_FILE).write_text(json.dumps(data, indent=1), encoding="utf-8")

    @classmethod
    def from_pretrained(cls, folder: Path) -> tuple[StepTaggerNet, dict[str, Any]]:
        data = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        net = cls(ModelConfig.model_validate(data["model"]), **data["spec"])
        net.load_state_dict(load_file(str(folder / WEIGHTS_FILE)))
        return net.eval(), data
