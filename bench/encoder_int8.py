"""MiniLM fp32 vs its int8 copy (EMBED_QUANTIZED), in one process: speed and fidelity.

Three encoders: fp32 (length-sorted batches of ONNX_BATCH, as served with the setting
off), int8 as served (INT8_BATCH, one key per run) and int8 in batches of ONNX_BATCH.
Prints one JSON line:
- speed: keys/s on the first 900 distinct template keys of
  `bench.logs_throughput.unique_frame(10000)` (what the cascade's full stage gets in one
  call), and single-key p50/p95 in ms on 300 of those keys; the encoders interleaved
  (order rotated per round and per single key), with the load average before and after;
- fidelity: on the distinct template keys of the 14 Loghub systems in ../shared/data/loghub
  (BGL and HPC are not there and are never read), the cosine of the int8 vector to the fp32
  one (min, p1, median), and the served log model's answers loaded twice from the registry,
  once per encoder (as backend/api/main.py builds them): label agreement and confidence
  differences on the rows the model tier answers, the full-stage (MiniLM) rows apart, and
  how many rows cross the served threshold. Once with the cascade as served and once with
  it off (every key through MiniLM), each without and with the stated level.

    .venv/bin/python bench/encoder_int8.py [--part speed|fidelity|all] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from backend.core.config import Settings  # noqa: E402
from backend.core.normalize import template_key  # noqa: E402
from backend.embedding.embedder import CachedEmbedder, MiniLMEmbedder  # noqa: E402
from backend.logs.levels import normalize_level  # noqa: E402
from backend.logs.service import build_classifier  # noqa: E402
from backend.registry.mirror import build_store  # noqa: E402
from bench.logs_throughput import LOGHUB, unique_frame  # noqa: E402

EXCLUDED = ("BGL", "HPC")  # kept for evaluation: never read here


def bench_keys(n: int = 900) -> list[str]:
    frame = unique_frame(10000)
    return list(dict.fromkeys(template_key(m) for m in frame["log_message"]))[:n]


def loghub_rows() -> list[tuple[str, str, str | None]]:
    """(system, a line, its stated level) per distinct (system, template key, level)."""
    rows: dict[tuple[str, str, str | None], tuple[str, str, str | None]] = {}
    files = sorted(LOGHUB.glob("*_structured.csv"))
    for path in files:
        system = path.name.split("_")[0]
        if system in EXCLUDED:
            raise SystemExit(f"{path} must not be read")
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        levels = df["Level"] if "Level" in df else [""] * len(df)
        for content, level in zip(df["Content"], levels, strict=True):
            stated = normalize_level(level)
            rows.setdefault((system, template_key(content), stated), (system, content, stated))
    if len(files) != 14:
        raise SystemExit(f"expected the 14 Loghub samples, found {len(files)}")
    return list(rows.values())


def speed(encoders: dict[str, MiniLMEmbedder], rounds: int) -> dict[str, Any]:
    """keys/s per encoder (one pass over the keys per round, the order rotated each round)
    and single-key latency (each key through every encoder, the order rotated per key)."""
    keys = bench_keys()
    names = list(encoders)
    rates: dict[str, list[float]] = {name: [] for name in names}
    for encoder in encoders.values():  # warm each (first-run allocations)
        encoder.embed(keys[:16])
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            encoders[name].embed(keys)
            rates[name].append(len(keys) / (time.perf_counter() - start))
    singles: dict[str, list[float]] = {name: [] for name in names}
    for i, key in enumerate(keys[:300]):
        for name in names[i % len(names):] + names[:i % len(names)]:
            start = time.perf_counter()
            encoders[name].embed([key])
            singles[name].append((time.perf_counter() - start) * 1000)
    out: dict[str, Any] = {"keys": len(keys), "rounds": rounds,
                           "tokens_median": _tokens(encoders["fp32"], keys)}
    for name in names:
        ms = sorted(singles[name])
        out[name] = {"batch": encoders[name].onnx_batch,
                     "keys_per_s": [round(x, 1) for x in rates[name]],
                     "keys_per_s_median": round(statistics.median(rates[name]), 1),
                     "single_p50_ms": round(ms[len(ms) // 2], 2),
                     "single_p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 2)}
        out[name]["speedup_median"] = round(out[name]["keys_per_s_median"]
                                            / out["fp32"]["keys_per_s_median"], 2)
    return out


def _tokens(encoder: MiniLMEmbedder, keys: Sequence[str]) -> float:
    tokenizer = encoder._model.tokenizer
    return float(np.median([len(tokenizer(k)["input_ids"]) for k in keys]))


def _answers(settings: Settings, embedder: CachedEmbedder,
             rows: Sequence[tuple[object, ...]]) -> tuple[list[Any], float]:
    folder, manifest = build_store(settings).open(settings.LOG_MODEL_NAME,
                                                  settings.LOG_MODEL_VERSION)
    classifier = build_classifier(settings, folder, manifest.version, embedder)
    return classifier.classify(rows), classifier.threshold_for()


def compare(fp32: list[Any], int8: list[Any], threshold: float) -> dict[str, Any]:
    """Agreement on the rows the fp32 run sends to the model tier (rules rows are the same)."""
    pairs = [(a, b) for a, b in zip(fp32, int8, strict=True) if a.tier == "model"]
    full = [(a, b) for a, b in pairs if a.stage == "full"]

    def stats(subset: list[tuple[Any, Any]]) -> dict[str, Any]:
        if not subset:
            return {"rows": 0}
        diff = np.array([abs(a.confidence - b.confidence) for a, b in subset])
        best = [(_best(a), _best(b)) for a, b in subset]
        crossed = sum((a.confidence >= threshold) != (b.confidence >= threshold)
                      for a, b in subset)
        return {"rows": len(subset),
                "label_agreement": round(sum(x == y for x, y in best) / len(subset), 4),
                "served_label_agreement": round(
                    sum(a.label == b.label for a, b in subset) / len(subset), 4),
                "conf_diff_max": round(float(diff.max()), 4),
                "conf_diff_median": round(float(np.median(diff)), 4),
                "crossed_threshold": int(crossed),
                "crossed_share": round(crossed / len(subset), 4),
                "stage_changed": sum(a.stage != b.stage for a, b in subset),
                "changed": [[a.template, _best(a), round(a.confidence, 3), _best(b),
                             round(b.confidence, 3)] for a, b in subset
                            if _best(a) != _best(b)
                            or (a.confidence >= threshold) != (b.confidence >= threshold)][:5]}

    return {"threshold": round(threshold, 4), "model_tier": stats(pairs), "full_stage": stats(full)}


def _best(prediction: Any) -> str:
    """The model's label, also below the threshold (then it is in the reason)."""
    reason = prediction.reason or ""
    if "(best guess: " in reason:
        return str(reason.rsplit("(best guess: ", 1)[1].rstrip(")"))
    return str(prediction.label)


def _cosine(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    cos = (a * b).sum(axis=1)
    return {"min": round(float(cos.min()), 4), "p1": round(float(np.percentile(cos, 1)), 4),
            "median": round(float(np.median(cos)), 4), "below_0.98": int((cos < 0.98).sum())}


def fidelity(encoders: dict[str, MiniLMEmbedder]) -> dict[str, Any]:
    rows = loghub_rows()
    keys = sorted({template_key(content) for _, content, _ in rows})
    vectors = {name: encoder.embed(keys) for name, encoder in encoders.items()}
    out: dict[str, Any] = {"loghub_keys": len(keys), "cosine_to_fp32": {
        name: _cosine(v, vectors["fp32"]) for name, v in vectors.items() if name != "fp32"}}
    caches = {name: CachedEmbedder(encoder) for name, encoder in encoders.items()}
    no_level = list({(s, template_key(c)): (s, c) for s, c, _ in rows}.values())
    with_level = [(s, c, lv) for s, c, lv in rows]
    for cascade in (True, False):
        settings = Settings(CASCADE_ENABLED=cascade)
        for part, records in (("no_level", no_level), ("with_level", with_level)):
            got_a, thr = _answers(settings, caches["fp32"], records)
            for name in caches:
                if name != "fp32":
                    got_b, _ = _answers(settings, caches[name], records)
                    out[f"{name}_{'cascade' if cascade else 'all_minilm'}_{part}"] = (
                        {"rows": len(records)} | compare(got_a, got_b, thr))
    out["model_version"] = _answers(Settings(), caches["fp32"], no_level[:1])[0][0].model_version
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("speed", "fidelity", "all"), default="all")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    int8_b8 = MiniLMEmbedder(quantized=True)
    int8_b8.onnx_batch = MiniLMEmbedder.ONNX_BATCH
    encoders = {"fp32": MiniLMEmbedder(), "int8": MiniLMEmbedder(quantized=True),
                "int8_b8": int8_b8}
    if encoders["fp32"].quantized or not (encoders["int8"].quantized and int8_b8.quantized):
        raise SystemExit("one fp32 and two int8 encoders expected")
    result: dict[str, Any] = {"utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
                              "load_before": [round(x, 2) for x in os.getloadavg()],
                              "cpus": os.cpu_count()}
    if args.part in ("speed", "all"):
        result["speed"] = speed(encoders, args.rounds)
    if args.part in ("fidelity", "all"):
        result["fidelity"] = fidelity(encoders)
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
