"""Step-tagger CPU inference throughput, in-process and through the API; one JSON line.

    .venv/bin/python bench/steps_throughput.py \
        --model bilstm=models/step-tagger/v2 --model transformer=/path/to/transformer/version

Each model is timed on held-out generated sessions (a seed the training data
did not use) after one warm-up pass, in-process (`StepPredictor.predict`)
and over HTTP against a real uvicorn server serving it as `step-tagger`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import torch  # noqa: E402
import uvicorn  # noqa: E402

from backend.api.main import create_app  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.sessions.predictor import StepPredictor  # noqa: E402
from backend.sessions.service import build_text_source  # noqa: E402
from training.steps.generator import generate_sessions  # noqa: E402


def _in_process(predictor: StepPredictor, frame: object, repeats: int) -> tuple[float, float]:
    """(events per wall second, events per CPU second of this process), best of `repeats`.

    The CPU figure is what one free core would deliver; the wall figure also
    counts time lost to other processes on a shared machine.
    """
    predictor.predict(frame)  # warm-up: embeds unseen window titles once, like a warm server
    wall = cpu = float("inf")
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        predictor.predict(frame)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    n = len(frame)  # type: ignore[arg-type]
    return n / wall, n / cpu


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _through_api(folder: Path, frame: object, batch_sessions: int) -> float:
    root = Path(tempfile.mkdtemp(prefix="steps-bench-"))
    try:
        shutil.copytree(folder, root / "step-tagger" / "v1")
        settings = Settings(_env_file=None, MODELS_ROOT=root, RATE_LIMIT="off",  # type: ignore[call-arg]
                            LOG_LEVEL="WARNING")
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings, load_in_background=False),
                                               host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        records = frame.astype(object).where(frame.notna(), None)  # type: ignore[attr-defined]
        groups = [g.to_dict(orient="records") for _, g in records.groupby("session_id")]
        batches = [sum(groups[i:i + batch_sessions], []) for i in range(0, len(groups),
                                                                        batch_sessions)]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            client.post("/v1/sessions/predict", json={"events": batches[0]}).raise_for_status()
            start = time.perf_counter()
            for batch in batches:
                client.post("/v1/sessions/predict", json={"events": batch}).raise_for_status()
            elapsed = time.perf_counter() - start
        server.should_exit = True
        thread.join(timeout=10)
        return len(frame) / elapsed  # type: ignore[arg-type]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", default=[],
                        help="label=folder of a model version (repeatable)")
    parser.add_argument("--sessions", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--threads", type=int, default=1, choices=[1, 2],
                        help="torch threads (1 is faster for the LSTM on a busy machine)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-sessions", type=int, default=50)
    parser.add_argument("--no-api", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    models = dict(m.split("=", 1) for m in args.model) or {"default": "models/step-tagger/v2"}
    frame = generate_sessions(args.sessions, seed=args.seed).drop(columns=["step_name"])
    source = build_text_source(Settings(_env_file=None))  # type: ignore[call-arg]
    result: dict[str, object] = {"events": len(frame), "sessions": args.sessions,
                                 "torch_threads": args.threads}
    for label, folder in models.items():
        predictor = StepPredictor.from_pretrained(Path(folder), source, label)
        kind = predictor.net.config.type
        result[f"{label}_type"] = kind
        wall, cpu = _in_process(predictor, frame, args.repeats)
        result[f"{label}_in_process_events_per_s"] = round(wall)
        result[f"{label}_in_process_events_per_cpu_s"] = round(cpu)
        if not args.no_api:
            result[f"{label}_api_events_per_s"] = round(
                _through_api(Path(folder), frame, args.batch_sessions))
    result["load_average_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
