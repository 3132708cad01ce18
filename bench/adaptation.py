"""How fast sift learns a team's conventions: K corrections per label through the real API.

The evaluation file is real Loghub lines (../shared/data/loghub, HDFS, Apache, OpenSSH,
Linux: 8,000 lines) labelled per ground-truth template by `bench/data/loghub_ops_convention.csv`,
a label map written by hand for this benchmark with an operations team's convention that
differs from the generator's (see README, "Learning a team's conventions"). The models were
never trained on these lines.

For each K in (0, 1, 2, 5, 10), on a fresh server (a copy of models/, an empty feedback
store): classify every line; then K rounds of one correction per label, as a user fixing
what is still wrong would: a row drawn (fixed seed) among that label's rows sift answers
wrongly, sent with POST /v1/feedback by the team's writer key (a correction from a problem
label to a routine one is held, and approved by the admin as an operator reviewing it would),
the file classified again with that key after each round (the immediate feedback memory
answers its writer's own requests); then retrain through POST /v1/models/.../retrain and classify
again. Accuracy is exact (Unclassified counts as wrong) on the rows that were not
corrected. `ceiling` is a model trained on the whole file, scored on that same file with no
abstention (an optimistic bound); `*_gap_closed` = (figure - K=0) / (ceiling - K=0).
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.server import ROOT, api_server  # noqa: E402

LOGHUB = ROOT.parent / "shared" / "data" / "loghub"
LABEL_MAP = ROOT / "bench" / "data" / "loghub_ops_convention.csv"
MODEL = "log-classifier"
ADMIN = "adaptation-admin-token-0123456789"
WRITER = "adaptation-writer-token-0123456789"
BATCH = 2000


def evaluation_frame() -> pd.DataFrame:
    """Loghub lines with the hand-written label of their template; source = the system."""
    labels = pd.read_csv(LABEL_MAP)
    parts = []
    for system, group in labels.groupby("system", sort=False):
        lines = pd.read_csv(LOGHUB / f"{system}_2k.log_structured.csv", dtype=str)
        merged = lines.merge(group, left_on="EventId", right_on="event_id", how="inner")
        parts.append(pd.DataFrame({"source": system, "log_message": merged["Content"],
                                   "target_label": merged["label"],
                                   "template_id": system + ":" + merged["EventId"]}))
    return pd.concat(parts, ignore_index=True)


def classify(client: httpx.Client, frame: pd.DataFrame) -> list[str]:
    labels: list[str] = []
    for start in range(0, len(frame), BATCH):
        chunk = frame.iloc[start:start + BATCH]
        logs = [{"source": s, "log_message": m}
                for s, m in zip(chunk["source"], chunk["log_message"], strict=True)]
        r = client.post("/v1/logs/classify", json={"logs": logs},
                        headers={"Authorization": f"Bearer {WRITER}"})
        r.raise_for_status()
        labels += [p["label"] for p in r.json()["predictions"]]
    return labels


def accuracy(pred: list[str], frame: pd.DataFrame, rest: np.ndarray) -> float:
    truth = frame["target_label"].to_numpy()
    return round(float((np.asarray(pred, dtype=object)[rest] == truth[rest]).mean()), 4)


def next_round(frame: pd.DataFrame, current: list[str], done: set[int],
               rng: np.random.Generator) -> list[int]:
    """One correction per label: a row drawn at random among that label's rows sift still
    answers wrongly (a user fixing what is wrong; frequent mistakes are met first)."""
    wrong = np.asarray(current, dtype=object) != frame["target_label"].to_numpy()
    picked = []
    for _, idx in sorted(frame.groupby("target_label").indices.items()):
        left = [i for i in idx if wrong[i] and i not in done]
        if left:
            picked.append(int(rng.choice(left)))
    return picked


def correct(client: httpx.Client, frame: pd.DataFrame, rows: list[int],
            current: list[str]) -> None:
    for i in rows:
        row = frame.iloc[i]
        r = client.post("/v1/feedback", headers={"Authorization": f"Bearer {WRITER}"}, json={
            "model": MODEL, "predicted": current[i], "verdict": "correct",
            "correct_label": row["target_label"],
            "input": {"source": row["source"], "log_message": row["log_message"]},
        })
        r.raise_for_status()
        if r.json().get("held_for_approval") and not r.json().get("new_label"):
            client.post(f"/v1/feedback/held/{r.json()['feedback_id']}/approve",
                        headers={"Authorization": f"Bearer {ADMIN}"}).raise_for_status()


def retrain(client: httpx.Client, rows: int | None, timeout_s: float) -> dict[str, Any]:
    r = client.post(f"/v1/models/{MODEL}/retrain", json={"rows": rows} if rows else None,
                    headers={"Authorization": f"Bearer {ADMIN}"})
    r.raise_for_status()
    job = r.json()["id"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = client.get(f"/v1/jobs/{job}").json()
        if state["status"] in ("succeeded", "failed"):
            if state["status"] == "failed":
                return {"promoted": False, "reason": state["error"]}
            return dict(state["result"])
        time.sleep(2.0)
    raise TimeoutError(f"retrain job {job} not done after {timeout_s:.0f} s")


def run_k(frame: pd.DataFrame, k: int, seed: int, rows: int | None, do_retrain: bool,
          timeout_s: float) -> dict[str, Any]:
    """One fresh server: K=k corrections, memory figure, retrain figure."""
    with tempfile.TemporaryDirectory(prefix="sift-adapt-") as tmp:
        models = Path(tmp) / "models"
        shutil.copytree(ROOT / "models", models)
        env = {"MODELS_ROOT": str(models), "DATABASE_URL": f"sqlite:///{tmp}/feedback.db",
               "API_TOKEN": ADMIN, "WRITER_TOKENS": json.dumps({"adaptation": WRITER}),
               "RATE_LIMIT": "off", "WRITE_QUOTA": "off", "RECORD_QUOTA": "off",
               "LOG_FORMAT": "text"}
        with (api_server(env, timeout_s=600.0) as url,
              httpx.Client(base_url=url, timeout=900.0) as client):
            before = current = classify(client, frame)
            rng = np.random.default_rng(seed)
            done: set[int] = set()
            start = time.perf_counter()
            for _ in range(k):  # K rounds of one correction per label, answers refreshed
                picked = next_round(frame, current, done, rng)
                correct(client, frame, picked, current)
                done.update(picked)
                current = classify(client, frame)
            rest = np.setdiff1d(np.arange(len(frame)), sorted(done))
            out: dict[str, Any] = {"k": k, "corrections": len(done),
                                   "before": accuracy(before, frame, rest)}
            if not k:
                return out
            out["memory"] = accuracy(current, frame, rest)
            out["memory_s"] = round(time.perf_counter() - start, 2)
            if do_retrain:
                start = time.perf_counter()
                report = retrain(client, rows, timeout_s)
                out["retrain"] = accuracy(classify(client, frame), frame, rest)
                out["retrain_s"] = round(time.perf_counter() - start, 1)
                out["promoted"] = report.get("promoted")
                out["retrain_reason"] = report.get("reason")
            return out


def ceiling(frame: pd.DataFrame) -> tuple[float, float]:
    """A model trained on the whole file (same recipe as train-logs), scored on it: with
    no abstention (the bound the gap is measured to), and at its own threshold."""
    from backend.core.config import Settings
    from backend.logs.normalize import template_key
    from backend.logs.service import build_classifier, build_embedder
    from training.logs.train import LogTrainingArguments, embed_keys, fit_log_model

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    embedder = build_embedder(settings)
    train = frame.assign(key=[template_key(m) for m in frame["log_message"]])
    model, _ = fit_log_model(train, train["template_id"].to_numpy(),
                             embed_keys(embedder, list(train["key"])), embedder.name,
                             LogTrainingArguments(seed=42))
    with tempfile.TemporaryDirectory(prefix="sift-ceiling-") as tmp:
        model.save_pretrained(Path(tmp))
        classifier = build_classifier(settings, Path(tmp), "ceiling", embedder)
        records = list(zip(frame["source"], frame["log_message"], strict=True))
        every = np.arange(len(frame))
        forced = accuracy([p.label for p in classifier.classify(records, 0.0)], frame, every)
        served = accuracy([p.label for p in classifier.classify(records)], frame, every)
    return forced, served


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ks", default="0,1,2,5,10")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--rows", type=int, default=None,
                        help="generated base rows per retrain (default: as the served model)")
    parser.add_argument("--no-retrain", action="store_true")
    parser.add_argument("--retrain-ks", default=None,
                        help="retrain only for these K (default: every K > 0)")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--skip-ceiling", action="store_true",
                        help="no whole-file model (e.g. when another run reports it)")
    args = parser.parse_args()
    frame = evaluation_frame()
    result: dict[str, Any] = {"file": "loghub HDFS+Apache+OpenSSH+Linux, ops convention",
                              "retrain_rows": args.rows,
                              "rows": len(frame), "templates": int(frame["template_id"].nunique()),
                              "labels": int(frame["target_label"].nunique()), "seed": args.seed,
                              "load_before": round(os.getloadavg()[0], 2)}
    if not args.skip_ceiling:
        start = time.perf_counter()
        result["ceiling"], result["ceiling_at_threshold"] = ceiling(frame)
        result["ceiling_s"] = round(time.perf_counter() - start, 1)
        print(json.dumps({"ceiling": result["ceiling"]}), file=sys.stderr)  # noqa: T201
    retrain_ks = ({int(k) for k in args.retrain_ks.split(",")} if args.retrain_ks
                  else {int(k) for k in args.ks.split(",")})
    runs = []
    for k in args.ks.split(","):
        runs.append(run_k(frame, int(k), args.seed, args.rows,
                          not args.no_retrain and int(k) in retrain_ks, args.timeout))
        print(json.dumps(runs[-1]), file=sys.stderr)  # noqa: T201  (partial results)
    result["runs"] = runs
    base = next((r["before"] for r in runs if r["k"] == 0), runs[0]["before"])
    gap = result.get("ceiling", 0.0) - base
    for r in runs:
        for stage in ("memory", "retrain"):
            if stage in r and gap > 0:
                r[f"{stage}_gap_closed"] = round((r[stage] - base) / gap, 3)
    result["load_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))  # noqa: T201


if __name__ == "__main__":
    main()
