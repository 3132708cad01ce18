"""The network: both fusions x both encoders run, padding is ignored, save/load is exact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from backend.embedding.embedder import Embedder
from backend.sessions.config import ModelConfig
from backend.sessions.model import StepTaggerNet
from backend.sessions.predictor import StepPredictor


def _net(kind: str, fusion: str) -> StepTaggerNet:
    torch.manual_seed(0)
    config = ModelConfig(type=kind, fusion=fusion, lstm_hidden=8, lstm_layers=2, d_model=16,
                         n_heads=2, n_layers=1, ff_dim=16, dropout=0.0)
    return StepTaggerNet(config, n_labels=5, n_events=12, cat_sizes=[4, 6], dense_dim=3,
                         event_dim=4, cat_dim=2).eval()


def _inputs(batch: int, length: int) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(1)
    return (torch.randint(1, 12, (batch, length), generator=gen),
            torch.randint(1, 4, (batch, length, 2), generator=gen),
            torch.randn(batch, length, 3, generator=gen))


@pytest.mark.parametrize("kind", ["bilstm", "transformer"])
@pytest.mark.parametrize("fusion", ["concat", "gated"])
def test_padding_does_not_change_real_positions(kind: str, fusion: str) -> None:
    net = _net(kind, fusion)
    events, cats, dense = _inputs(1, 6)
    mask = torch.ones(1, 6, dtype=torch.bool)
    with torch.no_grad():
        alone = net(events, cats, dense, mask)
        padded = net(torch.cat([events, torch.randint(1, 12, (1, 4))], 1),
                     torch.cat([cats, torch.ones(1, 4, 2, dtype=torch.long)], 1),
                     torch.cat([dense, torch.randn(1, 4, 3) * 100], 1),
                     torch.cat([mask, torch.zeros(1, 4, dtype=torch.bool)], 1))
    assert padded.shape == (1, 10, 5)
    assert torch.allclose(alone, padded[:, :6], atol=1e-5)


def test_masked_loss_ignores_padding() -> None:
    logits = torch.randn(1, 4, 5)
    labels = torch.tensor([[1, 2, -100, -100]])
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)
    full = loss_fn(logits.reshape(-1, 5), labels.reshape(-1))
    assert torch.isclose(full, loss_fn(logits[0, :2], labels[0, :2]))


def test_net_save_load_round_trip(tmp_path: Path) -> None:
    net = _net("transformer", "gated")
    net.save_pretrained(tmp_path)
    again, _ = StepTaggerNet.from_pretrained(tmp_path)
    events, cats, dense = _inputs(2, 5)
    mask = torch.ones(2, 5, dtype=torch.bool)
    with torch.no_grad():
        assert torch.equal(net(events, cats, dense, mask), again(events, cats, dense, mask))


def test_predictor_round_trip_gives_identical_predictions(
        tmp_path: Path, predictor: StepPredictor, events: pd.DataFrame, embedder: Embedder) -> None:
    predictor.save_pretrained(tmp_path)
    assert not list(tmp_path.glob("*.pkl")) and (tmp_path / "model.safetensors").is_file()
    again = StepPredictor.from_pretrained(tmp_path, embedder)
    sample = events.drop(columns=["step_name"]).head(300)
    assert np.array_equal(predictor.predict_proba(sample), again.predict_proba(sample))
    assert again.labels == predictor.labels and again.threshold == predictor.threshold
