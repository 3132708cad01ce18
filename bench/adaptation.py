"""How fast sift learns a team's conventions: K corrections per label through the real API.

The evaluation file is real Loghub lines (../shared/data/loghub, HDFS, Apache, OpenSSH,
Linux: 8,000 lines, 165 templates) labelled per ground-truth template by a team's
convention, two of them (`--conventions`):
- `ops`: `bench/data/loghub_ops_convention.csv`, written by hand for this benchmark
  (frozen: issue 23's corpus is a separate file);
- `pager`: `bench/data/loghub_pager_convention.csv`, an on-call team's, written by a
  labeller who had not seen the first, from `loghub_pager_convention.brief.md`.
The base model is log-classifier **v4** (`BASE_VERSION`): later versions (issue 23's v5)
were trained on all 14 Loghub systems, these templates included, so the copy of models/
each run serves keeps no log-classifier version after v4 (`--base v5` serves v5 instead:
a model that has seen these templates, for comparison only).

For each convention and K, on a fresh server (that copy, an empty feedback store):
classify every line; then K rounds of one correction per label, as a user fixing what is
still wrong would: a row drawn (fixed seed) among that label's rows sift answers wrongly,
sent with POST /v1/feedback by the team's writer key (a correction from a problem label
to a routine one is held, and approved by the admin as an operator reviewing it would),
the file classified again with that key after each round. Two servers per (convention,
K): `memory` with FEEDBACK_ADAPTER=false (the feedback memory and its neighbour rule
alone), `adapter` with it on (backend.logs.adapter); the second then retrains through
POST /v1/models/.../retrain (admin; the gate decides) and classifies again (`retrain`;
memory and adapter still on). Accuracy is exact (Unclassified counts as wrong) on the
rows of the templates no correction touched (`*`), and per template (`*_templates`, the
mean over those templates of their rows' accuracy): other lines of a corrected template
never count. `correct_s` is the slowest correction request (the writer's adapter is
refitted in it), `update_s` the slowest first answer after a round of corrections (a line
per corrected source, with the writer's key), `steady_s` the same request again.
`ceiling` (--ceiling) is a model trained on the whole file, scored on that same file with
no abstention. Prints one JSON line.
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
CONVENTIONS = {"ops": ROOT / "bench" / "data" / "loghub_ops_convention.csv",
               "pager": ROOT / "bench" / "data" / "loghub_pager_convention.csv"}
MODEL = "log-classifier"
BASE_VERSION = "v4"  # trained without Loghub: it has not seen these templates
ADMIN = "adaptation-admin-token-0123456789"
WRITER = "adaptation-writer-token-0123456789"
BATCH = 2000


def evaluation_frame(convention: str = "ops") -> pd.DataFrame:
    """Loghub lines with the convention's label of their template; source = the system."""
    labels = pd.read_csv(CONVENTIONS[convention])
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


def template_accuracy(pred: list[str], frame: pd.DataFrame, rest: np.ndarray) -> float:
    """Mean over the templates in `rest` of the accuracy on their rows."""
    right = np.asarray(pred, dtype=object) == frame["target_label"].to_numpy()
    per = pd.Series(right[rest]).groupby(frame["template_id"].to_numpy()[rest]).mean()
    return round(float(per.mean()), 4)


def uncorrected(frame: pd.DataFrame, done: set[int]) -> np.ndarray:
    """Rows of the templates no correction touched."""
    touched = set(frame["template_id"].iloc[sorted(done)])
    return np.flatnonzero(~frame["template_id"].isin(touched).to_numpy())


def timed_probe(client: httpx.Client, frame: pd.DataFrame, rows: list[int]) -> float:
    """Seconds for one request holding one line per corrected source."""
    firsts = frame.iloc[rows].drop_duplicates("source")
    logs = [{"source": s, "log_message": m}
            for s, m in zip(firsts["source"], firsts["log_message"], strict=True)]
    start = time.perf_counter()
    client.post("/v1/logs/classify", json={"logs": logs},
                headers={"Authorization": f"Bearer {WRITER}"}).raise_for_status()
    return time.perf_counter() - start


def base_registry(target: Path, version: str = BASE_VERSION) -> None:
    """A copy of models/ whose log classifier is `version` at the newest."""
    shutil.copytree(ROOT / "models", target)
    base = int(version.lstrip("v"))
    for folder in (target / MODEL).iterdir():
        if folder.is_dir() and folder.name.startswith("v") and folder.name[1:].isdigit() \
                and int(folder.name[1:]) > base:
            shutil.rmtree(folder)


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
            current: list[str]) -> float:
    """Send the corrections; the slowest POST /v1/feedback in seconds (the correction's
    own request cycle, where the writer's adapter is refitted)."""
    slowest = 0.0
    for i in rows:
        row = frame.iloc[i]
        start = time.perf_counter()
        r = client.post("/v1/feedback", headers={"Authorization": f"Bearer {WRITER}"}, json={
            "model": MODEL, "predicted": current[i], "verdict": "correct",
            "correct_label": row["target_label"],
            "input": {"source": row["source"], "log_message": row["log_message"]},
        })
        r.raise_for_status()
        slowest = max(slowest, time.perf_counter() - start)
        if r.json().get("held_for_approval") and not r.json().get("new_label"):
            client.post(f"/v1/feedback/held/{r.json()['feedback_id']}/approve",
                        headers={"Authorization": f"Bearer {ADMIN}"}).raise_for_status()
    return slowest


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


def run_k(frame: pd.DataFrame, k: int, seed: int, rows: int | None, adapter: bool,
          do_retrain: bool, timeout_s: float, base: str = BASE_VERSION) -> dict[str, Any]:
    """One fresh server: K=k rounds of corrections; the memory (adapter off) or adapter
    figure, and the retrain figure when asked."""
    stage = "adapter" if adapter else "memory"
    with tempfile.TemporaryDirectory(prefix="sift-adapt-") as tmp:
        models = Path(tmp) / "models"
        base_registry(models, base)
        env = {"MODELS_ROOT": str(models), "DATABASE_URL": f"sqlite:///{tmp}/feedback.db",
               "API_TOKEN": ADMIN, "WRITER_TOKENS": json.dumps({"adaptation": WRITER}),
               "RATE_LIMIT": "off", "WRITE_QUOTA": "off", "RECORD_QUOTA": "off",
               "LOG_FORMAT": "text", "FEEDBACK_ADAPTER": str(adapter).lower(),
               "FEEDBACK_MEMORY_REFRESH_S": "0"}
        with (api_server(env, timeout_s=600.0) as url,
              httpx.Client(base_url=url, timeout=900.0) as client):
            before = current = classify(client, frame)
            rng = np.random.default_rng(seed)
            done: set[int] = set()
            updates, steady, corrects = [], [], []
            start = time.perf_counter()
            for _ in range(k):  # K rounds of one correction per label, answers refreshed
                picked = next_round(frame, current, done, rng)
                corrects.append(correct(client, frame, picked, current))
                done.update(picked)
                updates.append(timed_probe(client, frame, picked))
                steady.append(timed_probe(client, frame, picked))
                current = classify(client, frame)
            rest = uncorrected(frame, done)
            out: dict[str, Any] = {
                "k": k, "corrections": len(done),
                "templates_corrected": int(frame["template_id"].iloc[sorted(done)].nunique()),
                "rows_scored": len(rest), "before": accuracy(before, frame, rest),
                "before_templates": template_accuracy(before, frame, rest)}
            if not k:
                return out
            out[stage] = accuracy(current, frame, rest)
            out[f"{stage}_templates"] = template_accuracy(current, frame, rest)
            out[f"{stage}_s"] = round(time.perf_counter() - start, 2)
            out[f"{stage}_correct_s"] = round(max(corrects), 3)
            out[f"{stage}_update_s"] = round(max(updates), 3)
            out[f"{stage}_steady_s"] = round(float(np.median(steady)), 3)
            if do_retrain:
                start = time.perf_counter()
                report = retrain(client, rows, timeout_s)
                after = classify(client, frame)
                out["retrain"] = accuracy(after, frame, rest)
                out["retrain_templates"] = template_accuracy(after, frame, rest)
                out["retrain_s"] = round(time.perf_counter() - start, 1)
                out["promoted"] = report.get("promoted")
                out["retrain_reason"] = report.get("reason")
                out["decided_by"] = report.get("decided_by")
            return out


def ceiling(frame: pd.DataFrame) -> tuple[float, float]:
    """A model trained on the whole file (same recipe as train-logs), scored on it: with
    no abstention (the bound the gap is measured to), and at its own threshold."""
    from backend.core.config import Settings
    from backend.core.normalize import template_key
    from backend.embedding.service import build_embedder
    from backend.logs.service import build_classifier
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


def merged_run(frame: pd.DataFrame, k: int, args: argparse.Namespace,
               retrain_ks: set[int]) -> dict[str, Any]:
    """The memory-alone server and the adapter (+ retrain) server of one K, one record."""
    out = run_k(frame, k, args.seed, args.rows, False, False, args.timeout, args.base)
    if k and not args.no_adapter:
        adapted = run_k(frame, k, args.seed, args.rows, True,
                        not args.no_retrain and k in retrain_ks, args.timeout, args.base)
        # the adapter server's corrections may differ (drawn among its own mistakes)
        out.update({("adapter_" + key if key in ("corrections", "templates_corrected",
                                                 "rows_scored") else key): value
                    for key, value in adapted.items()
                    if key not in ("k", "before", "before_templates")})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ks", default="0,1,2,5,10")
    parser.add_argument("--conventions", default="ops,pager")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--base", default=BASE_VERSION,
                        help="log-classifier version served (default v4, which has not seen "
                             "these templates; v5 was trained on them)")
    parser.add_argument("--rows", type=int, default=None,
                        help="generated base rows per retrain (default: as the served model)")
    parser.add_argument("--no-retrain", action="store_true")
    parser.add_argument("--no-adapter", action="store_true")
    parser.add_argument("--retrain-ks", default="5",
                        help="retrain only for these K (default: 5)")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--ceiling", action="store_true",
                        help="also a whole-file model per convention (an optimistic bound)")
    args = parser.parse_args()
    retrain_ks = {int(k) for k in args.retrain_ks.split(",")}
    result: dict[str, Any] = {"file": "loghub HDFS+Apache+OpenSSH+Linux", "base": args.base,
                              "retrain_rows": args.rows, "seed": args.seed,
                              "load_before": round(os.getloadavg()[0], 2), "conventions": {}}
    for convention in args.conventions.split(","):
        frame = evaluation_frame(convention)
        entry: dict[str, Any] = {
            "rows": len(frame), "templates": int(frame["template_id"].nunique()),
            "labels": int(frame["target_label"].nunique())}
        if args.ceiling:
            start = time.perf_counter()
            entry["ceiling"], entry["ceiling_at_threshold"] = ceiling(frame)
            entry["ceiling_s"] = round(time.perf_counter() - start, 1)
        runs = []
        for k in args.ks.split(","):
            runs.append(merged_run(frame, int(k), args, retrain_ks))
            print(json.dumps({convention: runs[-1]}), file=sys.stderr)  # noqa: T201
        entry["runs"] = runs
        result["conventions"][convention] = entry
    result["load_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))  # noqa: T201


if __name__ == "__main__":
    main()
