"""Task categorisation on titles people wrote: leave-one-author-out, v4 and v3 beside v1.

For each author and each linear recipe (`--recipes`, default v4 and v3: see
`training.tasks.linear.RECIPES`): the model is trained on the other authors plus the
generated data; its auto-select threshold comes from an inner leave-one-author-out
over those other authors only (the out-of-domain class is trained on their
out-of-domain rows only), then it answers the left-out author's rows. v1 (generated
data only, its threshold 0.7, no out-of-domain notion) answers the same rows.

Figures per author and pooled: accuracy and macro-F1 on the in-domain rows (an
abstention counts as wrong), the auto-selected share of in-domain rows and its
accuracy, and the share of out-of-domain rows auto-selected. Prints one JSON line;
`--table` also prints the markdown table (to stderr).

    HF_HUB_OFFLINE=1 nice -n 10 .venv/bin/python -m bench.task_titles --table
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from backend.core.config import PROJECT_ROOT, Settings
from backend.tasks.categorizer import V1_THRESHOLD
from backend.tasks.linear import decide_rows
from backend.tasks.model import TaskHead
from backend.tasks.service import task_embedder
from backend.tasks.text import task_text
from training.tasks.authors import AUTHORS_DIR, concat, generated_rows, load_authors, rows_of
from training.tasks.linear import (
    RECIPES,
    LinearTrainingArguments,
    fit_with_threshold,
    recipe_args,
    score,
)

V1 = PROJECT_ROOT / "models" / "task-categorizer" / "v1"


def run(generated: int, seed: int, recipes: dict[str, LinearTrainingArguments]
        ) -> dict[str, Any]:
    embedder = task_embedder(Settings())
    frame = load_authors(AUTHORS_DIR)
    started = time.perf_counter()
    authors_rows = rows_of(frame, embedder)
    gen = {name: generated_rows(generated, seed, embedder, args.generated_weight)
           for name, args in recipes.items()}
    v1 = TaskHead.from_pretrained(V1)
    v1_x = embedder.embed([task_text(t, d) for t, d in
                           zip(frame["title"], frame["description"], strict=True)])
    embed_s = time.perf_counter() - started
    names = sorted(set(frame["author"]))
    per: dict[str, Any] = {}
    pooled: dict[str, dict[str, list[Any]]] = {m: {"cats": [], "auto": [], "conf": []}
                                               for m in (*recipes, "v1")}
    truth: list[str] = []
    for author in names:
        mine = np.asarray([a == author for a in authors_rows.authors])
        held = authors_rows.take(mine)
        others = [a for a in names if a != author]
        per[author] = {}
        for name, args in recipes.items():
            train = concat(authors_rows.take(~mine), gen[name])
            model, _, chosen = fit_with_threshold(train, others, args, embedder.name)
            cats, conf = decide_rows(held.predict_proba(model), model.classes)
            per[author][name] = {**score(cats, conf, chosen["threshold"], held.labels),
                                 "inner_precision": chosen["precision"]}
            pooled[name]["cats"] += cats
            pooled[name]["auto"].append(conf >= chosen["threshold"])  # per-fold thresholds
        proba1 = v1.predict_proba(v1_x[mine])
        cats1: list[str | None] = [v1.classes[i] for i in proba1.argmax(axis=1)]
        per[author]["v1"] = score(cats1, proba1.max(axis=1), V1_THRESHOLD, held.labels)
        pooled["v1"]["cats"] += cats1
        pooled["v1"]["conf"].append(proba1.max(axis=1))
        truth += held.labels
    together: dict[str, Any] = {}
    for name in recipes:
        auto = np.concatenate(pooled[name]["auto"]).astype(float)  # 1.0: auto-selected
        together[name] = score(pooled[name]["cats"], auto, 0.5, truth)
        together[name].pop("threshold")
    together["v1"] = score(pooled["v1"]["cats"], np.concatenate(pooled["v1"]["conf"]),
                           V1_THRESHOLD, truth)
    return {"bench": "task_titles", "protocol": "leave-one-author-out", "authors": names,
            "generated_rows": generated, "seed": seed,
            "args": {name: args.to_dict() for name, args in recipes.items()},
            "pooled": together, "per_author": per, "embed_s": round(embed_s, 1),
            "seconds": round(time.perf_counter() - started, 1)}


def table(result: dict[str, Any]) -> str:
    rows = ["| author | model | accuracy | macro-F1 | auto-selected | accuracy when auto | "
            "OOD auto-selected | threshold |", "|---|---|---|---|---|---|---|---|"]
    entries = [(a, r) for a, r in result["per_author"].items()]
    entries.append(("**pooled**", result["pooled"]))
    for author, figures in entries:
        for model, f in figures.items():
            rows.append(f"| {author} | {model} | {f['accuracy']:.3f} | {f['macro_f1']:.3f} | "
                        f"{f['auto_share']:.1%} | {f['auto_accuracy']} | "
                        f"{f['ood_auto_rate']:.1%} | {f.get('threshold', 'per fold')} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--recipes", default="v4,v3",
                        help=f"comma-separated linear recipes ({', '.join(RECIPES)}), v1 beside")
    parser.add_argument("--generated-weight", type=float, default=None)
    parser.add_argument("--text-weight", type=float, default=None)
    parser.add_argument("--C", type=float, default=None)
    parser.add_argument("--target", type=float, default=0.95)
    parser.add_argument("--table", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    opts = parser.parse_args()
    overrides = {name: value for name, value in (
        ("generated_weight", opts.generated_weight), ("text_weight", opts.text_weight),
        ("C", opts.C)) if value is not None}
    recipes = {name: recipe_args(name, seed=opts.seed, target_precision=opts.target,
                                 **overrides) for name in opts.recipes.split(",")}
    result = run(opts.generated, opts.seed, recipes)
    line = json.dumps(result)
    if opts.out:
        opts.out.write_text(line + "\n", encoding="utf-8")
    if opts.table:
        sys.stderr.write(table(result) + "\n")
    sys.stdout.write(line + "\n")


if __name__ == "__main__":
    main()
