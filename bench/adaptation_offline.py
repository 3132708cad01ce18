"""bench/adaptation.py's protocol in one process, over several seeds (issue 28).

The same evaluation file, the same draws (K rounds of one correction per label, a row
drawn with a seeded generator among that label's rows still answered wrongly), the same
scoring (exact accuracy on the rows of the templates no correction touched, and the mean
per template), but the serving path is called directly: the served classifier
(`build_classifier`, rules and all) with a feedback memory snapshot of the corrections as
the writer sees them (`MemorySnapshot.view`), the neighbour rule and the convention
adapter as the API runs them. No HTTP, no store, no held-correction approval round trip
(an approved correction answers the writer the same way), no retrain: a few seconds per
(convention, K, seed) instead of minutes, so the adapter can be judged over many seeds.
`--diagnose` also gives, per run, the rows left wrong on uncorrected templates by cause
(`diagnose`) and the five largest such templates. `--oracle` replaces the adapter's head
by the evaluation file's own labels under the same evidence rule (`oracle_evidence`): the
ceiling of *any* adapter that overrides the model only where the corrections near a key
carry its label, with the draws of each round made on that oracle's answers. Prints one
JSON line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.adaptation import (  # noqa: E402
    MODEL,
    accuracy,
    evaluation_frame,
    next_round,
    template_accuracy,
    uncorrected,
)
from bench.server import ROOT  # noqa: E402

WRITER = "writer:adaptation"
# adapters are cached by their corrections' ids: ids stay unique across runs
_IDS = itertools.count(1)


def _classifier(version: str, adapter: bool) -> Any:
    from backend.core.config import Settings
    from backend.logs.service import build_classifier, build_embedder

    settings = Settings(_env_file=None, MODELS_ROOT=ROOT / "models")  # type: ignore[call-arg]
    classifier = build_classifier(settings, ROOT / "models" / MODEL / version, version,
                                  build_embedder(settings))
    classifier.options = replace(classifier.options, adapter_enabled=adapter)
    return classifier


def _view(entries: list[Any]) -> Any:
    from backend.logs.memory import MemorySnapshot

    return MemorySnapshot(entries, (len(entries), 0)).view(WRITER) if entries else None


def run(classifier: Any, frame: pd.DataFrame, k: int, seed: int
        ) -> tuple[dict[str, Any], list[Any], list[Any], np.ndarray]:
    from backend.feedback.memory import MemoryEntry

    records = list(zip(frame["source"], frame["log_message"], strict=True))
    before = current = [p.label for p in classifier.classify(records)]
    rng = np.random.default_rng(seed)
    done: set[int] = set()
    entries: list[MemoryEntry] = []
    predictions = []
    for _ in range(k):
        for i in next_round(frame, current, done, rng):
            row = frame.iloc[i]
            entries.append(MemoryEntry(next(_IDS), row["source"],
                                       classifier.key(row["log_message"]),
                                       row["target_label"], classifier.version, None,
                                       row["log_message"], None, author=WRITER))
            done.add(i)
        predictions = classifier.classify(records, memory=_view(entries))
        current = [p.label for p in predictions]
    rest = uncorrected(frame, done)
    out = {"k": k, "seed": seed, "corrections": len(done), "rows_scored": len(rest),
           "before": accuracy(before, frame, rest),
           "after": accuracy(current, frame, rest),
           "after_templates": template_accuracy(current, frame, rest)}
    return out, predictions, entries, rest


def diagnose(classifier: Any, frame: pd.DataFrame, predictions: list[Any],
             entries: list[Any], rest: np.ndarray) -> dict[str, Any]:
    """Why the uncorrected templates answered wrongly are wrong, in rows per cause, and the
    templates themselves (largest first): what answered, the model's own answer, and the
    NEAREST corrections of the template's source (cosine, label). Causes, in order:
    `wrong_override` (the feedback tier answered, wrongly), `no_evidence` (no correction
    of the team's label among the nearest within NEAR_SIMILARITY), `one_vs_confident`
    (one such correction against a confident model answer), `adapter_p` (the evidence is
    there but the adapter's probability for the team's label stays below the threshold)."""
    from backend.logs import adapter as rules

    thr = classifier.threshold_for()
    truth = frame["target_label"].to_numpy()
    causes: Counter[str] = Counter()
    templates: dict[str, dict[str, Any]] = {}
    for i in rest:
        p = predictions[i]
        if p.label == truth[i]:
            continue
        template = str(frame["template_id"].iloc[i])
        if template in templates:
            templates[template]["rows"] += 1
            causes[templates[template]["cause"]] += 1
            continue
        key = classifier.key(frame["log_message"].iloc[i])
        label, conf = classifier._head_answers([key])[key]
        same = [e for e in entries if e.scope == frame["source"].iloc[i]]
        near: list[tuple[float, str]] = []
        if same:
            vec = classifier._unit_vectors([key])[0]
            sims = classifier._unit_vectors([e.key for e in same]) @ vec
            near = [(round(float(sims[j]), 2), same[j].label)
                    for j in np.argsort(-sims)[:rules.NEAREST]]
        agreeing = sum(sim >= rules.NEAR_SIMILARITY and lab == truth[i] for sim, lab in near)
        if p.tier == "feedback":
            cause = "wrong_override"
        elif not agreeing:
            cause = "no_evidence"
        elif conf >= thr and agreeing < rules.AGREEING_TO_OVERRIDE:
            cause = "one_vs_confident"
        else:
            cause = "adapter_p"
        causes[cause] += 1
        templates[template] = {"template": template, "rows": 1, "cause": cause,
                               "truth": truth[i], "answer": p.label, "tier": p.tier,
                               "model": [label, round(conf, 2)], "near": near,
                               "reason": (p.reason or "")[:80], "key": key[:70]}
    return {"wrong_rows_by_cause": dict(causes.most_common()),
            "wrong_templates": sorted(templates.values(), key=lambda d: -d["rows"])}


def oracle_evidence(truth: dict[str, str]) -> Any:
    """`ConventionAdapter.evidence` answering each key's true label wherever the evidence
    rule of backend.logs.adapter holds for that label (among the NEAREST corrections within
    NEAR_SIMILARITY, AGREEING_TO_OVERRIDE of them against a confident model answer, one
    against an unsure one), whatever the head says; elsewhere None, as the adapter."""
    from backend.logs import adapter as rules

    def evidence(self: Any, keys: Any, vectors: Any, confidences: Any, threshold: float
                 ) -> list[Any]:
        sims = np.asarray(vectors, dtype=np.float32) @ self.vectors.T
        out: list[Any] = []
        for i, (key, conf) in enumerate(zip(keys, confidences, strict=True)):
            label = truth.get(key)
            near = np.argsort(-sims[i])[:rules.NEAREST]
            near = near[sims[i, near] >= rules.NEAR_SIMILARITY]
            agreeing = near[self.labels[near] == label]
            confident = conf >= threshold
            if label is None or len(agreeing) < (
                    rules.AGREEING_TO_OVERRIDE if confident else 1):
                out.append(None)
                continue
            out.append(rules.Evidence(label, 1.0, len(agreeing),
                                      round(float(sims[i, agreeing[0]]), 4), confident))
        return out

    return evidence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ks", default="1,5,10")
    parser.add_argument("--conventions", default="ops,pager")
    parser.add_argument("--seeds", default="17,1,2,3,4")
    parser.add_argument("--base", default="v4")
    parser.add_argument("--no-adapter", action="store_true")
    parser.add_argument("--diagnose", action="store_true")
    parser.add_argument("--oracle", action="store_true",
                        help="the adapter answers the true label wherever the evidence rule "
                             "holds for it (a ceiling, see oracle_evidence)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a constant of backend.logs.adapter (tuning)")
    args = parser.parse_args()
    from backend.logs import adapter as adapter_module

    for item in args.set:
        name, value = item.split("=", 1)
        setattr(adapter_module, name, type(getattr(adapter_module, name))(value))
    classifier = _classifier(args.base, not args.no_adapter)
    seeds = [int(s) for s in args.seeds.split(",")]
    result: dict[str, Any] = {"base": args.base, "adapter": not args.no_adapter,
                              "oracle": args.oracle,
                              "seeds": seeds, "set": args.set, "conventions": {}}
    for convention in args.conventions.split(","):
        frame = evaluation_frame(convention)
        if args.oracle:  # the file's label per template key (the most frequent on a tie)
            keys = classifier.keys(frame["log_message"].tolist())
            truth = pd.Series(frame["target_label"].to_numpy()).groupby(keys).agg(
                lambda s: s.value_counts().index[0]).to_dict()
            adapter_module.ConventionAdapter.evidence = oracle_evidence(truth)
            classifier.adapters = type(classifier.adapters)(classifier.model)
        per_k: dict[str, Any] = {}
        for k in (int(k) for k in args.ks.split(",")):
            start = time.perf_counter()
            runs = []
            for seed in seeds:
                out, predictions, entries, rest = run(classifier, frame, k, seed)
                if args.diagnose:
                    found = diagnose(classifier, frame, predictions, entries, rest)
                    out["wrong_rows_by_cause"] = found["wrong_rows_by_cause"]
                    out["wrong_templates"] = found["wrong_templates"][:5]
                runs.append(out)
            after = np.array([r["after"] for r in runs])
            per_k[str(k)] = {
                "mean": round(float(after.mean()), 4), "std": round(float(after.std()), 4),
                "min": round(float(after.min()), 4),
                "templates_mean": round(float(np.mean([r["after_templates"] for r in runs])), 4),
                "before_mean": round(float(np.mean([r["before"] for r in runs])), 4),
                "runs": runs, "s": round(time.perf_counter() - start, 1)}
            print(json.dumps({convention: {k: {x: y for x, y in per_k[str(k)].items()
                                               if x != "runs"}}}), file=sys.stderr)  # noqa: T201
        result["conventions"][convention] = per_k
    print(json.dumps(result))  # noqa: T201


if __name__ == "__main__":
    main()
