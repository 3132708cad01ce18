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


@pytest.fixture(scope="module")
def fp32_encoder() -> MiniLMEmbedder:
    return MiniLMEmbedder(quantized=False)


def test_default_embedder_runs_the_int8_onnx_graph(embedder: Embedder) -> None:
    inner = getattr(embedder, "inner", embedder)
    assert getattr(inner, "runtime", None) == "onnx"
    assert getattr(inner, "quantized", None) is True  # EMBED_QUANTIZED's default


def test_fp32_onnx_matches_torch(fp32_encoder: MiniLMEmbedder,
                                 torch_encoder: MiniLMEmbedder) -> None:
    inner = fp32_encoder
    assert inner.runtime == "onnx" and not inner.quantized
    onnx_vectors = inner.embed(TEXTS)
    torch_vectors = torch_encoder.embed(TEXTS)
    assert onnx_vectors.shape == (len(TEXTS), 384) and onnx_vectors.dtype == np.float32
    np.testing.assert_allclose(onnx_vectors, torch_vectors, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)
    assert (onnx_vectors * torch_vectors).sum(axis=1).min() >= 0.9999  # today's vectors kept


@pytest.mark.parametrize("encoder", ["embedder", "fp32_encoder"])
def test_order_and_batching_do_not_change_a_vector(encoder: str,
                                                   request: pytest.FixtureRequest) -> None:
    """int8 too: one text per run (INT8_BATCH), so no batch-mate moves its scales."""
    found = request.getfixturevalue(encoder)
    inner = getattr(found, "inner", found)
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
def test_exported_graph_takes_any_batch_and_length(fp32_encoder: MiniLMEmbedder, rows: int,
                                                   tokens: int) -> None:
    import torch

    inner = fp32_encoder
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


# the first template key of eight Loghub samples (../shared/data/loghub), as template_key
# gives them: over all 1,272 such keys the int8 vectors' median cosine to fp32 is 0.993
# and the lowest 0.977 (docs/benchmarks.md, 2026-12-07)
REAL_KEYS = [
    "packetresponder <var> for block <var> terminating",
    "workerenv.init(<*>) ok <path>",
    "reverse mapping checking getaddrinfo for <var> [<var>] failed - possible break-in attempt!",
    "authentication failure; logname= uid=<var> euid=<var> tty=nodevssh ruser= rhost=<var>",
    "notification time out: <var>",
    "registered signal handlers for [term, hup, int]",
    "loaded servicing stack <var> with core: <path>",
    "printfreezingdisplaylogsopening app wtoken = <var> token=<var> u0 com.tencent.qt.qtl/"
    ".activity.info.newsdetailxmlactivity <var>}}}, alldrawn= false, startingdisplayed = false,"
    " startingmoved = false, isrelaunching = false",
]


@pytest.fixture(scope="module")
def int8_encoder() -> MiniLMEmbedder:
    return MiniLMEmbedder(quantized=True)


def test_int8_vectors_stay_within_cosine_098_of_fp32_on_real_keys(
        int8_encoder: MiniLMEmbedder, fp32_encoder: MiniLMEmbedder) -> None:
    assert int8_encoder.quantized and not fp32_encoder.quantized
    int8, fp32 = int8_encoder.embed(REAL_KEYS), fp32_encoder.embed(REAL_KEYS)
    assert int8.shape == (len(REAL_KEYS), 384) and int8.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    cosines = (int8 * fp32).sum(axis=1)
    assert cosines.min() >= 0.98, cosines
    assert cosines.max() < 0.99999  # a different graph, not the fp32 one under a new name


def test_int8_graph_is_built_once_beside_the_export(tmp_path: Path) -> None:
    first = MiniLMEmbedder(cache_dir=tmp_path, quantized=True)
    (int8,) = tmp_path.glob("minilm-*-int8-*.onnx")
    (export,) = set(tmp_path.glob("minilm-*.onnx")) - {int8}
    assert int8.name == f"{export.stem}-int8-{int8.stem.rsplit('-', 1)[1]}.onnx"
    assert first._onnx is not None and first._onnx.path == int8
    graph = onnx.load(str(int8))
    assert any(node.op_type == "MatMulInteger" or node.op_type.startswith("DynamicQuantize")
               for node in graph.graph.node)
    stamp = int8.stat().st_mtime_ns
    second = MiniLMEmbedder(cache_dir=tmp_path, quantized=True)
    assert {p.name for p in tmp_path.iterdir()} == {export.name, int8.name}  # no temp file
    assert int8.stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(first.embed(TEXTS[:2]), second.embed(TEXTS[:2]))


def test_embed_quantized_setting_switches_the_served_graph(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.core.config import Settings
    from backend.embedding.service import build_embedder

    served = {}
    for value in ("true", "false"):
        monkeypatch.setenv("EMBED_QUANTIZED", value)
        settings = Settings()
        assert settings.embedder.quantized is (value == "true")
        inner = build_embedder(settings).inner  # type: ignore[attr-defined]
        assert inner.quantized is (value == "true")
        served[value] = inner._onnx.path
    assert "-int8-" in served["true"].name and "-int8-" not in served["false"].name
    assert served["true"].parent == served["false"].parent


def test_a_small_call_runs_on_the_session_that_does_not_spin(fp32_encoder: MiniLMEmbedder
                                                             ) -> None:
    """A single new line is encoded by a second session of the same graph without
    onnxruntime's spin-waiting threads (its latency), a batch by the spinning one (its
    throughput); both give the same vector."""
    from backend.embedding.onnx_encoder import SMALL_CALL

    onnx_encoder = fp32_encoder._onnx
    assert onnx_encoder is not None and onnx_encoder.solo_session is not None
    assert onnx_encoder.solo_session is not onnx_encoder.session
    one = fp32_encoder.embed(TEXTS[:1])
    many = fp32_encoder.embed(TEXTS[:1] * (SMALL_CALL + 1))
    np.testing.assert_allclose(one[0], many[0], atol=1e-6)


def test_int8_that_cannot_be_built_falls_back_to_fp32(monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    from backend.embedding import onnx_encoder

    def broken(fp32: Path) -> Path:
        raise RuntimeError("no quantizer here")

    monkeypatch.setattr(onnx_encoder, "_quantize", broken)
    with caplog.at_level(logging.WARNING):
        encoder = MiniLMEmbedder(quantized=True)
    assert encoder.runtime == "onnx" and encoder.quantized is False
    assert encoder.onnx_batch == MiniLMEmbedder.ONNX_BATCH
    assert "int8 encoder unavailable (no quantizer here); using fp32" in caplog.text


def test_an_int8_stream_runs_one_text_per_run_on_both_cores(embedder: Embedder) -> None:
    """More than SMALL_CALL texts under int8: one text per run on a one-thread session, a
    run per core at a time; each vector is exactly the one the text gets alone."""
    from backend.embedding.onnx_encoder import SMALL_CALL

    inner = getattr(embedder, "inner", embedder)
    onnx_encoder = inner._onnx
    assert inner.quantized and onnx_encoder is not None and onnx_encoder.solo_session is not None
    texts = [f"{t} {i}" for i, t in enumerate(TEXTS * 3)]
    assert len(texts) > SMALL_CALL
    stream = onnx_encoder.encode(texts, 1)
    alone = np.concatenate([onnx_encoder._encode_batch([t], onnx_encoder.session)
                            for t in texts])
    assert np.array_equal(stream, alone)


def test_a_forked_child_gets_its_own_worker_threads(embedder: Embedder) -> None:
    """The pool's threads do not survive a fork; a child that inherited the encoder would
    wait for ever on them, so it starts its own (same vectors as the parent's)."""
    import multiprocessing

    inner = getattr(embedder, "inner", embedder)
    onnx_encoder = inner._onnx
    texts = [f"{t} {i}" for i, t in enumerate(TEXTS * 3)]
    parent = onnx_encoder.encode(texts, 1)  # the parent's pool exists now
    ctx = multiprocessing.get_context("fork")
    queue = ctx.SimpleQueue()
    child = ctx.Process(target=lambda: queue.put(onnx_encoder.encode(texts, 1)))
    child.start()
    child.join(60)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive and child.exitcode == 0
    assert np.array_equal(queue.get(), parent)
