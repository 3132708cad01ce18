"""Process views of a 100,000-event tagged log: how long they take; one JSON line.

    .venv/bin/python bench/steps_views.py [--events 100000] [--model models/step-tagger/v2]

Generated sessions (seed 2027, not a training seed) are cut to `--events` events and
tagged in-process by the served default step model (after one warm-up pass, as a warm
server would have embedded the window titles). Then:

- `seconds`: POST /v1/sessions/views through the real app (FastAPI TestClient): the
  tagged CSV upload read, step map, variants, timeline, step durations and agreement with
  the log's own `step_name`, and the JSON answer;
- `in_process_seconds`: the same views called directly;
- `tag_seconds`: tagging in-process plus `seconds` (what a user waits for both);
- `xes_seconds`: the XES export of the same tagged log;
- baseline from the same run: PM4Py's DFG + variants on the same step instances
  (`pm4py_seconds`, when PM4Py - a dev extra - is installed).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
import torch  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from backend.api.main import create_app  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.registry.local import LocalModelStore  # noqa: E402
from backend.sessions.service import build_text_source, load_predictor, tag_frame  # noqa: E402
from backend.sessions.tagged import tagged_columns, tagged_views, tagged_xes  # noqa: E402
from backend.sessions.views import step_instances  # noqa: E402
from training.steps.generator import generate_sessions  # noqa: E402


def make_log(events: int, seed: int) -> pd.DataFrame:
    """Whole generated sessions until `events`, the last one cut."""
    sessions = max(10, events // 70)
    frame = generate_sessions(sessions, seed=seed)
    while len(frame) < events:
        sessions = int(sessions * 1.3) + 1
        frame = generate_sessions(sessions, seed=seed)
    return frame.head(events).reset_index(drop=True)


def pm4py_seconds(frame: pd.DataFrame, cols: object) -> float | None:
    try:  # the dev extra; the bench runs without it
        pm4py = importlib.import_module("pm4py")
    except ImportError:
        return None
    inst, _ = step_instances(frame, cols.log)  # type: ignore[attr-defined]
    log = inst.frame.rename(columns={"case": "case:concept:name", "step": "concept:name"})
    log["time:timestamp"] = pd.to_datetime(log["start"], unit="s", utc=True)
    start = time.perf_counter()
    pm4py.discover_dfg(log)
    pm4py.get_variants(log)
    return round(time.perf_counter() - start, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--models-root", type=Path, default=ROOT / "models")
    args = parser.parse_args()
    torch.set_num_threads(1)
    settings = Settings(MODELS_ROOT=args.models_root, RATE_LIMIT="off")
    store = LocalModelStore(args.models_root)
    folder, manifest = store.open(settings.STEP_MODEL_NAME, "latest")
    predictor = load_predictor(folder, manifest.version, build_text_source(settings))
    frame = make_log(args.events, args.seed)
    raw = frame.rename(columns={"step_name": "given_step"})
    tag_frame(predictor, raw, None)  # warm-up: window titles embedded once
    start = time.perf_counter()
    tagged = tag_frame(predictor, raw, None).table
    tag_s = time.perf_counter() - start
    cols = tagged_columns(tagged, "session_id", "timestamp")
    start = time.perf_counter()
    views = tagged_views(tagged, cols, label_column="given_step")
    in_process_s = time.perf_counter() - start
    start = time.perf_counter()
    tagged_xes(tagged, cols)
    xes_s = time.perf_counter() - start
    body = tagged.to_csv(index=False).encode()
    with TestClient(create_app(settings, load_in_background=False)) as client:
        start = time.perf_counter()
        response = client.post("/v1/sessions/views", data={"label_column": "given_step"},
                               files={"file": ("tagged.csv", body, "text/csv")})
        api_s = time.perf_counter() - start
    response.raise_for_status()
    answer = response.json()
    assert answer["summary"]["events"] == args.events == views["summary"]["events"]
    print(json.dumps({
        "bench": "steps_views", "events": args.events,
        "cases": answer["summary"]["cases"], "step_instances": answer["summary"]["step_instances"],
        "abstained_events": answer["summary"]["abstained_events"],
        "variants": answer["variants"]["total"], "agreement_accuracy":
        answer["agreement"]["accuracy"], "upload_mb": round(len(body) / 2**20, 1),
        "seconds": round(api_s, 3), "in_process_seconds": round(in_process_s, 3),
        "tag_seconds": round(tag_s + api_s, 3), "tagging_only_seconds": round(tag_s, 3),
        "xes_seconds": round(xes_s, 3), "pm4py_seconds": pm4py_seconds(tagged, cols),
        "model": f"{settings.STEP_MODEL_NAME} {manifest.version}", "torch_threads": 1,
        "load_average_1min": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
