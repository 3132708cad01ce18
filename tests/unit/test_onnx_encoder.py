"""The onnxruntime encoder: same vectors as sentence-transformers on torch, exported once."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx
import pytest

from backend.embedding.embedder import Embedder, MiniLMEmbedder
from backend.embedding.onnx_encoder import INPUTS, OPSET

TEXTS = [
    "user <user> logged in from <host>",
    "a",
    "",
    "GET /v2/<id>/servers/detail HTTP/1.1 status: <num> len: <num> time: <num>",
    "word " * 400,  # past the 256-token limit: truncated the same way
    "kernel: oom-killer: killed process <num> (java) total-vm:<num>kb",
]


@pytest.fixture(scope="module")
def torch_encoder() -> MiniLMEmbedder:
    return MiniLMEmbedder(runtime="torch")


def test_default_embedder_runs_onnx_and_matches_torch(embedder: Embedder,
                                                      torch_encoder: MiniLMEmbedder) -> None:
    inner = getattr(embedder, "inner", embedder)
    assert getattr(inner, "runtime", None) == "onnx"
    onnx_vectors = inner.embed(TEXTS)
    torch_vectors = torch_encoder.embed(TEXTS)
    assert onnx_vectors.shape == (len(TEXTS), 384) and onnx_vectors.dtype == np.float32
    np.testing.assert_allclose(onnx_vectors, torch_vectors, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)
    assert (onnx_vectors * torch_vectors).sum(axis=1).min() >= 0.9999  # today's vectors kept


def test_order_and_batching_do_not_change_a_vector(embedder: Embedder) -> None:
    inner = getattr(embedder, "inner", embedder)
    together = inner.embed(TEXTS)
    alone = np.stack([inner.embed([t])[0] for t in TEXTS])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(inner.embed(TEXTS[::-1])[::-1], together, atol=1e-5)


def test_export_is_written_once_and_reused(tmp_path: Path) -> None:
    first = MiniLMEmbedder(cache_dir=tmp_path)
    (export,) = tmp_path.glob("minilm-*.onnx")
    graph = onnx.load(str(export))
    assert [o.version for o in graph.opset_import if o.domain in ("", "ai.onnx")] == [OPSET]
    for value in (*graph.graph.input, *graph.graph.output):  # batch and tokens stay free
        assert [d.dim_param for d in value.type.tensor_type.shape.dim][:2] == ["batch", "tokens"]
    stamp = export.stat().st_mtime_ns
    second = MiniLMEmbedder(cache_dir=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [export.name]  # no temp file left
    assert export.stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(first.embed(TEXTS[:2]), second.embed(TEXTS[:2]))


@pytest.mark.parametrize(("rows", "tokens"), [(1, 3), (1, 256), (64, 3), (64, 256)])
def test_exported_graph_takes_any_batch_and_length(embedder: Embedder, rows: int,
                                                   tokens: int) -> None:
    import torch

    inner = getattr(embedder, "inner", embedder)
    ids = np.random.default_rng(rows + tokens).integers(1000, 20000, (rows, tokens))
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids),
            "token_type_ids": np.zeros_like(ids)}
    hidden = inner._onnx.session.run(None, {n: feed[n] for n in INPUTS})[0]
    with torch.inference_mode():
        expected = inner._model[0].auto_model(
            **{n: torch.from_numpy(v) for n, v in feed.items()}).last_hidden_state.numpy()
    assert hidden.shape == (rows, tokens, 384)
    np.testing.assert_allclose(hidden, expected, atol=1e-4)


def test_unwritable_cache_falls_back_to_torch(tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING):
        encoder = MiniLMEmbedder(cache_dir=blocker / "encoders")
    assert encoder.runtime == "torch"
    assert "using torch" in caplog.text
    assert encoder.embed(TEXTS[:1]).shape == (1, 384)
