"""Log classification throughput through the real API, beside the raw encoder.

Prints one JSON line:
- loghub_cold / loghub_warm: lines/s through POST /v1/logs/classify/csv for the 10,000
  Loghub lines in ../shared/data/loghub (fresh server, then the same file again);
- unique: lines/s for 10,000 synthetic lines whose template keys are all distinct
  (nothing to deduplicate, every line a new key for the model tier's cascade), and the
  share of those model-tier lines that reached stage 2 (MiniLM);
- encoder: the raw MiniLM encoder's sentences/s on 2,000 of those lines and its p95
  for one line, same run, as sentence-transformers on torch (the reference) and
  through onnxruntime (what the service runs by default);
- single-log JSON latency p50/p95, for lines of known templates and for new ones.
"""

from __future__ import annotations

import io
import json
import os
import random
import statistics
import string
import sys
import time
from pathlib import Path

import httpx
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.server import ROOT, api_server  # noqa: E402
from training.logs.generator import generate_logs  # noqa: E402

LOGHUB = ROOT.parent / "shared" / "data" / "loghub"
SYSTEMS = ("HDFS", "Apache", "OpenSSH", "Linux", "Thunderbird")


def loghub_frame() -> pd.DataFrame:
    parts = []
    for system in SYSTEMS:
        df = pd.read_csv(LOGHUB / f"{system}_2k.log_structured.csv", dtype=str,
                         keep_default_na=False)
        parts.append(pd.DataFrame({"source": system, "log_message": df["Content"]}))
    return pd.concat(parts).sample(frac=1.0, random_state=0).reset_index(drop=True)


def unique_frame(n: int, seed: int = 7) -> pd.DataFrame:
    """Generated lines plus a distinct made-up word each, so no two share a template key."""
    rng = random.Random(seed)
    base = generate_logs(n=n, seed=seed)
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(6, 9))))
    messages = [f"{m} [{w}]" for m, w in zip(base["log_message"], sorted(words), strict=True)]
    return pd.DataFrame({"source": base["source"], "log_message": messages})


def post_csv(client: httpx.Client, url: str, frame: pd.DataFrame,
             stages: dict[str, int] | None = None) -> float:
    """Lines/s of one CSV request; `stages` gets the model tier's rows per cascade stage."""
    data = frame.to_csv(index=False).encode()
    start = time.perf_counter()
    response = client.post(f"{url}/v1/logs/classify/csv",
                           files={"file": ("logs.csv", io.BytesIO(data), "text/csv")})
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    out = pd.read_csv(io.StringIO(response.text), dtype=str, keep_default_na=False)
    if len(out) != len(frame):
        raise RuntimeError(f"sent {len(frame)} rows, got {len(out)}")
    if stages is not None and "stage" in out:
        stages.update(out.loc[out["stage"] != "", "stage"].value_counts().to_dict())
    return len(frame) / elapsed


def latencies(client: httpx.Client, url: str, frame: pd.DataFrame) -> tuple[float, float]:
    times = []
    for source, message in zip(frame["source"], frame["log_message"], strict=True):
        body = {"logs": [{"source": source, "log_message": message}]}
        start = time.perf_counter()
        client.post(f"{url}/v1/logs/classify", json=body).raise_for_status()
        times.append((time.perf_counter() - start) * 1000)
    quantiles = statistics.quantiles(times, n=100)
    return round(quantiles[49], 2), round(quantiles[94], 2)


def encoder_figures(texts: list[str], runtime: str) -> tuple[float, float]:
    """The bare encoder on raw lines: sentences/s in batches, and p95 ms for one line."""
    from backend.embedding.embedder import MiniLMEmbedder

    encoder = MiniLMEmbedder(batch_size=64, runtime=runtime)
    encoder.embed(texts[:64])  # warm-up
    start = time.perf_counter()
    encoder.embed(texts)
    rate = len(texts) / (time.perf_counter() - start)
    times = []
    for text in texts[:300]:
        start = time.perf_counter()
        encoder.embed([text])
        times.append((time.perf_counter() - start) * 1000)
    return rate, statistics.quantiles(times, n=100)[94]


def main(lines: int = 10_000) -> dict[str, float]:
    loghub = loghub_frame().head(lines)
    unique = unique_frame(lines)
    fresh = unique_frame(400, seed=99)
    figures: dict[str, float] = {"lines": len(loghub)}
    env = {"RATE_LIMIT": "off", "REQUEST_TIMEOUT_S": "1800", "LOG_LEVEL": "WARNING"}
    with httpx.Client(timeout=1800) as client:
        with api_server(env) as url:
            figures["loghub_cold_lines_per_s"] = round(post_csv(client, url, loghub), 1)
            figures["loghub_warm_lines_per_s"] = round(post_csv(client, url, loghub), 1)
            p50, p95 = latencies(client, url, loghub.head(300))
            figures["single_known_p50_ms"], figures["single_known_p95_ms"] = p50, p95
            p50, p95 = latencies(client, url, fresh.head(300))
            figures["single_new_p50_ms"], figures["single_new_p95_ms"] = p50, p95
        with api_server(env) as url:
            stages: dict[str, int] = {}
            figures["unique_lines_per_s"] = round(post_csv(client, url, unique, stages), 1)
            modelled = sum(stages.values())
            # all-distinct keys: the share of model-tier lines the cascade sent to MiniLM
            figures["unique_stage2_share"] = round(stages.get("full", 0) / modelled, 4) \
                if modelled else 0.0
    texts = list(unique["log_message"][:2000])
    for runtime, prefix in (("torch", "encoder"), ("onnx", "encoder_onnx")):
        rate, p95 = encoder_figures(texts, runtime)
        figures[f"{prefix}_sentences_per_s"] = round(rate, 1)
        figures[f"{prefix}_single_p95_ms"] = round(p95, 2)
    # the reference is sentence-transformers on torch; the service runs onnx
    figures["unique_to_encoder_ratio"] = round(
        figures["unique_lines_per_s"] / figures["encoder_sentences_per_s"], 3)
    figures["unique_to_onnx_encoder_ratio"] = round(
        figures["unique_lines_per_s"] / figures["encoder_onnx_sentences_per_s"], 3)
    figures["cpu_count"] = os.cpu_count() or 0
    return figures


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)))
