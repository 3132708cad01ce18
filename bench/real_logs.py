"""Leave-one-system-out on real logs: is the default recipe competent on a system it never saw?

For each labelled Loghub system (the corpus `training/logs/data/loghub_corpus.csv`,
or the 165-template partial one while that is missing), train the served model's
recipe (its manifest's calibration choices) on the other systems' templates plus the
generated data, then classify the left-out
system's 2,000 lines, read from its raw `.log` through `auto` as a user's upload
would be (so the level is the one a preset finds). Everything fitted sees only
the training systems: the heads, the temperature, the cascade threshold, the
distance calibration and the abstain threshold are fitted inside each fold, on
out-of-fold predictions grouped by system. No rule or mask names a Loghub
template (the rules are configs/rules.yaml as shipped). Templates the corpus marks
as the same string as one of the test system's (`duplicate_of`) are left out of
that fold's training.

Scored per system, line-weighted and template-weighted (each template of a system
weighs 1): accuracy (Unclassified counts as wrong) and macro-F1; coverage at the
served threshold and accuracy on the answered lines; the share of lines that are
confidently wrong (answered, wrong, confidence >= 0.9); expected calibration error
of the best guess (15 bins); problem recall and false-alarm rate (predicted problem:
an answered Error, Critical Error, Security Alert or Workflow Error; an abstained
line is a miss and no alarm); the share of each tier; the majority-label baseline
(the most common label of the training systems' lines). With the stated level and
without it (the same fold models), and the shipped v4 on the same lines beside.

MiniLM vectors of the template keys are cached in .cache/real_logs/ (embedded once,
reused by every fold and run). Prints one JSON line; writes the full table to
docs/real-logs.md (--markdown). Usage:
    python bench/real_logs.py [--systems HDFS Apache] [--full-grid] [--markdown PATH]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402

from backend.core.config import Settings, get_settings  # noqa: E402
from backend.embedding.embedder import CachedEmbedder, MiniLMEmbedder  # noqa: E402
from backend.embedding.static import StaticEmbedder  # noqa: E402
from backend.logs.cascade import unique_embed  # noqa: E402
from backend.logs.classifier import ClassifierOptions, LogClassifier  # noqa: E402
from backend.logs.levels import with_level  # noqa: E402
from backend.logs.llm.base import UNCLASSIFIED  # noqa: E402
from backend.logs.llm.tier import LLMTier  # noqa: E402
from backend.logs.model import LogModel  # noqa: E402
from backend.logs.rules import RuleSet  # noqa: E402
from backend.logs.service import build_classifier, nearest_example_provider  # noqa: E402
from backend.registry.local import LocalModelStore  # noqa: E402
from training.logs.cascade import shipped_static_model  # noqa: E402
from training.logs.distance import calibrated_ece, expected_calibration_error  # noqa: E402
from training.logs.generator import generate_logs  # noqa: E402
from training.logs.realcorpus import (  # noqa: E402
    PROBLEM_LABELS,
    corpus_lines,
    default_corpus,
    duplicates_of,
    load_corpus,
    training_rows,
)
from training.logs.train import (  # noqa: E402
    EXTRA,
    LogTrainingArguments,
    embed_keys,
    fit_log_model,
    group_split,
    manifest_recipe,
    with_levels,
)

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "real_logs"
MARKDOWN = ROOT / "docs" / "real-logs.md"
CONFIDENT = 0.9
logger = logging.getLogger("real_logs")


class _Encoder:
    """The inner embedder of DiskCachedEmbedder (MiniLM, loaded on first use)."""

    name, dim = MiniLMEmbedder.name, MiniLMEmbedder.dim

    def __init__(self) -> None:
        self._model: MiniLMEmbedder | None = None

    def embed(self, texts):  # type: ignore[no-untyped-def]
        if self._model is None:
            self._model = MiniLMEmbedder()
        return self._model.embed(texts)


def cached_embedder(path: Path) -> CachedEmbedder:
    embedder = CachedEmbedder(_Encoder(), maxsize=10**7)
    if path.is_file():
        with np.load(path, allow_pickle=False) as data:
            for key, vector in zip(data["keys"], data["vectors"], strict=True):
                embedder.cache.put(str(key), vector)
    return embedder


def save_cache(embedder: CachedEmbedder, path: Path) -> None:
    keys = list(embedder.cache._data)  # noqa: SLF001 - the bench's own cache, dumped whole
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, keys=np.asarray(keys, dtype=str),
             vectors=np.stack([embedder.cache.get(k) for k in keys]))


def generated_train(seed: int) -> pd.DataFrame:
    """The generated rows v5 trains on: v4's data, minus v4's held-out templates."""
    frame = generate_logs(n=8000, seed=seed)
    frame["log_message"] = frame["log_message"].astype(str)
    train_idx, _ = group_split(frame["target_label"], frame["template_id"].astype(str), 0.2,
                               seed)
    train = frame.iloc[train_idx].reset_index(drop=True)
    train["__group"] = train["template_id"].astype(str)
    return train


def answers(classifier: LogClassifier, test: pd.DataFrame, level: bool,
            guesses: pd.DataFrame | None = None) -> pd.DataFrame:
    """Served and best-guess answers per line (`guesses`: the model's best guesses, already
    known from the same model)."""
    records = (list(zip(test["source"], test["log_message"], test["level"], strict=True))
               if level else list(zip(test["source"], test["log_message"], strict=True)))
    served = classifier.classify(records)
    if guesses is None:
        forced = classifier.classify(records, threshold=0.0)
        guesses = pd.DataFrame({"guess": [p.label for p in forced],
                                "guess_conf": [p.confidence for p in forced]})
    return pd.DataFrame({
        "label": [p.label for p in served], "confidence": [p.confidence for p in served],
        "tier": [p.tier if p.label != UNCLASSIFIED else "abstained" for p in served],
        "stage": [p.stage or "" for p in served],
        "guess": guesses["guess"].to_numpy(), "guess_conf": guesses["guess_conf"].to_numpy()})


def figures(truth: pd.DataFrame, pred: pd.DataFrame, weights: np.ndarray) -> dict[str, float]:
    """The issue's figures for one set of lines (weights: 1 per line, or per template)."""
    w = weights / weights.sum()
    y = truth["target_label"].to_numpy()
    label = pred["label"].to_numpy()
    right = label == y
    answered = label != UNCLASSIFIED
    problem = truth["problem"].to_numpy().astype(bool)
    alarm = answered & np.isin(label, list(PROBLEM_LABELS))
    confidence = pred["confidence"].to_numpy(dtype=np.float64)
    wrong_sure = answered & ~right & (confidence >= CONFIDENT)
    labels = sorted(set(y))
    tiers = Counter()
    for tier, stage, weight in zip(pred["tier"], pred["stage"], w, strict=True):
        tiers[f"{tier}-{stage}" if stage else tier] += weight
    out = {
        "accuracy": float(w @ right),
        "macro_f1": float(f1_score(y, label, labels=labels, average="macro",
                                   sample_weight=weights, zero_division=0)),
        "coverage": float(w @ answered),
        "accuracy_answered": float((w @ (right & answered)) / max(w @ answered, 1e-12)),
        "confidently_wrong": float(w @ wrong_sure),
        "ece": expected_calibration_error(pred["guess_conf"].to_numpy(),
                                          pred["guess"].to_numpy() == y, weights),
        # what a perfectly calibrated model with these confidences would show on these
        # lines (a template's lines share one outcome): the reference the two read against
        **dict(zip(("ece_if_calibrated", "ece_if_calibrated_p10", "ece_if_calibrated_p90"),
                   calibrated_ece(pred["guess_conf"].to_numpy(dtype=np.float64),
                                  (truth["source"].astype(str) + "|"
                                   + truth["template_id"].astype(str)).to_numpy(), weights),
                   strict=True)),
        "confidently_wrong_if_calibrated": float(w @ np.where(
            answered & (confidence >= CONFIDENT), 1.0 - confidence, 0.0)),
        "problem_recall": float((w @ (alarm & problem)) / (w @ problem)) if problem.any()
        else float("nan"),
        "false_alarms": float((w @ (alarm & ~problem)) / (w @ ~problem)) if (~problem).any()
        else float("nan"),
        "tiers": {k: round(v, 4) for k, v in sorted(tiers.items())}}
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}


def template_weights(lines: pd.DataFrame) -> np.ndarray:
    counts = lines.groupby("template_id")["template_id"].transform("size").to_numpy()
    return 1.0 / counts


def run_fold(system: str, lines: pd.DataFrame, corpus: pd.DataFrame, gen: pd.DataFrame,
             vectors: dict[str, np.ndarray], embedder: CachedEmbedder,
             static: StaticEmbedder | None, args: LogTrainingArguments,
             rules: RuleSet | None, studies: Path | None = None
             ) -> tuple[pd.DataFrame, dict[str, object]]:
    """Train on everything but `system`, answer its lines with and without the level."""
    held_out = duplicates_of(corpus, system)
    real = lines[(lines["source"] != system) & ~lines["template_id"].isin(held_out)]
    rows = training_rows(real)
    rows["__group"] = "extra:" + rows["source"]
    rows[EXTRA] = True
    train = with_levels(pd.concat([gen, rows], ignore_index=True), "level", args.level_dropout)
    train["key"] = _keys(train["log_message"])
    started = time.perf_counter()
    capture: dict[str, object] = {}
    model, params = fit_log_model(train, train["__group"].to_numpy(), vectors, embedder.name,
                                  args, static, capture=capture)
    fit_s = time.perf_counter() - started
    llm = LLMTier(nearest_example_provider(model, embedder), model.labels)
    classifier = LogClassifier(model, embedder, rules, llm,
                               ClassifierOptions(llm_sources=frozenset(args.llm_sources)))
    # the same model with LLM_FOR_LOW_CONFIDENCE on: what it withholds goes to the embedded
    # default of the LLM tier, the model's own labelled examples (no keys, no network)
    fallback = LogClassifier(model, embedder, rules, llm, ClassifierOptions(
        llm_sources=frozenset(args.llm_sources), llm_for_low_confidence=True))
    test = lines[lines["source"] == system].reset_index(drop=True)
    out = test[["source", "template_id", "target_label", "problem", "level", "key"]].copy()
    for name, level in (("lvl", True), ("nolvl", False)):
        got = answers(classifier, test, level)
        out[[f"{name}_{c}" for c in got.columns]] = got.to_numpy()
        served = answers(fallback, test, level, got[["guess", "guess_conf"]])
        out[[f"fb_{name}_{c}" for c in served.columns]] = served.to_numpy()
    majority = real["target_label"].value_counts().idxmax()
    out["majority"] = majority
    if studies is not None:
        save_study(studies / f"{system}.npz", model, embedder, test, capture)
    return out, {"fit_s": round(fit_s, 1), "threshold": round(model.head.threshold, 4),
                 "cascade_threshold": params.get("cascade_threshold"),
                 "cv_ece_after_distance": params.get("cv_ece_after_distance"),
                 "train_real_rows": len(rows), "majority": majority}


def stage_outputs(model: LogModel, embedder: CachedEmbedder, keys: list[str]
                  ) -> dict[str, np.ndarray]:
    """Per key, before any distance calibration: each stage's class probabilities (columns
    in `model.head.classes` order) and the similarity the distance calibration reads, which
    bench/calibration_study.py replays."""
    bare, levels = model.split_levels(keys)
    out: dict[str, np.ndarray] = {}
    if model.fast is not None:
        static = unique_embed(model.fast.embedder, bare)
        out["fast_proba"] = model.fast.head.predict_proba(model.fast.inputs(
            model.text_features, bare, static, levels, model.level_weight))
        if model.distance is not None:
            out["similarity"] = model.distance.similarity(static)
    out["full_proba"] = model.head.predict_proba(
        model.inputs(embedder.embed(bare), bare, levels))
    return out


def save_study(path: Path, model: LogModel, embedder: CachedEmbedder, test: pd.DataFrame,
               capture: dict[str, object]) -> None:
    """One fold's out-of-fold calibration inputs and its test lines' raw stage outputs, with
    and without the stated level, so calibration variants are replayed without refitting."""
    keys = _keys(test["log_message"])
    with_lvl = [with_level(k, lv, onehot=True) for k, lv in zip(keys, test["level"], strict=True)]
    data = {f"oof_{k}": (np.asarray(v) if v is not None else np.zeros(0))
            for k, v in capture.items()}
    for name, these in (("lvl", with_lvl), ("nolvl", keys)):
        data.update({f"{name}_{k}": v for k, v in stage_outputs(model, embedder, these).items()})
    data["head_classes"] = np.asarray(model.head.classes, dtype=str)
    if model.fast is not None:
        data["fast_classes"] = np.asarray(model.fast.head.classes, dtype=str)
    data["threshold"] = np.asarray(model.head.threshold)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **data)


def served_version() -> str:
    settings = get_settings()
    return LocalModelStore(settings.MODELS_ROOT).resolve(settings.LOG_MODEL_NAME)


def served_recipe(settings: Settings) -> dict[str, Any]:
    """The calibration choices of the newest log model (its manifest's params), so every
    fold trains the recipe that is served: the precision target of the abstain threshold,
    the per-label calibration, the MiniLM floor and the real rows' share of the weight."""
    store = LocalModelStore(settings.MODELS_ROOT)
    return manifest_recipe(store.manifest(settings.LOG_MODEL_NAME,
                                          store.resolve(settings.LOG_MODEL_NAME)).params)


_KEY_CACHE: dict[str, str] = {}


def _keys(messages: pd.Series) -> list[str]:
    from backend.core.normalize import template_key

    out = []
    for m in messages:
        key = _KEY_CACHE.get(m)
        if key is None:
            key = _KEY_CACHE[m] = template_key(m)
        out.append(key)
    return out


def v4_answers(lines: pd.DataFrame, embedder: CachedEmbedder) -> pd.DataFrame | None:
    settings = get_settings()
    folder = settings.MODELS_ROOT / settings.LOG_MODEL_NAME / "v4"
    if not folder.is_dir():
        return None
    classifier = build_classifier(settings.model_copy(update={"LLM_PROVIDER": "offline"}),
                                  folder, "v4", embedder)
    parts = [answers(classifier, lines[lines["source"] == s].reset_index(drop=True), True)
             for s in lines["source"].unique()]
    return pd.concat(parts, ignore_index=True)


def pick(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    cols = ["label", "confidence", "tier", "stage", "guess", "guess_conf"]
    got = frame[[f"{prefix}_{c}" for c in cols]].copy()
    got.columns = cols
    got["confidence"] = got["confidence"].astype(float)
    got["guess_conf"] = got["guess_conf"].astype(float)
    return got


def majority_pred(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"label": frame["majority"], "confidence": 1.0, "tier": "majority",
                         "stage": "", "guess": frame["majority"], "guess_conf": 1.0})


def score(results: pd.DataFrame) -> dict[str, dict[str, object]]:
    """Per system and pooled, line- and template-weighted, for every variant."""
    variants = {"served_level": pick(results, "lvl"), "served_no_level": pick(results, "nolvl"),
                "majority": majority_pred(results)}
    if "fb_lvl_label" in results:  # runs since session 13
        variants["fallback_level"] = pick(results, "fb_lvl")
        variants["fallback_no_level"] = pick(results, "fb_nolvl")
    if "v4_label" in results:
        variants["v4"] = pick(results, "v4")
    table: dict[str, dict[str, object]] = {}
    groups = [("all", results.index.to_numpy())] + [
        (s, np.flatnonzero(results["source"].to_numpy() == s))
        for s in sorted(results["source"].unique())]
    tw = template_weights(results)
    for name, idx in groups:
        truth = results.iloc[idx].reset_index(drop=True)
        row: dict[str, object] = {"lines": len(idx), "templates": int(truth["template_id"]
                                                                      .nunique())}
        for variant, pred in variants.items():
            p = pred.iloc[idx].reset_index(drop=True)
            row[variant] = figures(truth, p, np.ones(len(idx)))
            row[f"{variant}_templates"] = figures(truth, p, tw[idx])
        table[name] = row
    return table


NAMES = {"served_level": "served recipe, with level",
         "served_no_level": "served recipe, without level",
         "fallback_level": "+ example tier for what it withholds, with level",
         "fallback_no_level": "+ example tier for what it withholds, without level",
         "v4": "v4", "majority": "majority baseline"}
KEYS = ("accuracy", "macro_f1", "coverage", "accuracy_answered", "confidently_wrong", "ece",
        "problem_recall", "false_alarms")


def _cells(f: dict[str, object]) -> str:
    return " | ".join(f"{f[k]:.3f}" for k in KEYS)  # type: ignore[str-format]


def markdown(table: dict[str, dict[str, object]], meta: dict[str, object]) -> str:
    """The summary (pooled), the per-system view and the full table, as Markdown."""
    pooled = table["all"]
    head = "| " + " | ".join(KEYS) + " |"
    rule = "|---" * (len(KEYS) + 2) + "|"
    out = [f"Measured {meta['summary'].get('date', '')} on {pooled['lines']:,} lines, "  # type: ignore[union-attr]
           f"{pooled['templates']:,} templates, {len(table) - 1} systems "
           f"(corpus `{meta['summary']['corpus']}`).", "",  # type: ignore[index]
           "### Summary (all systems pooled)", "", "| variant | weighting |" + head[1:],
           rule]
    for variant, name in NAMES.items():
        for suffix, weighting in (("", "lines"), ("_templates", "templates")):
            if variant + suffix in pooled:
                out.append(f"| {name} | {weighting} | {_cells(pooled[variant + suffix])} |")  # type: ignore[arg-type]
    out += ["", "### Calibration, read against a perfectly calibrated model", "",
            "The same confidences, with every template's lines right or wrong together with "
            "the probability the confidence states (200 draws): the ECE and the confidently "
            "wrong share such a model would show on these lines.", "",
            "| variant | weighting | ECE | ECE if calibrated (10-90%) | confidently wrong | "
            "confidently wrong if calibrated |", "|---" * 6 + "|"]
    for variant, name in NAMES.items():
        for suffix, weighting in (("", "lines"), ("_templates", "templates")):
            if variant + suffix in pooled:
                f = pooled[variant + suffix]
                out.append(f"| {name} | {weighting} | {f['ece']:.3f} | "  # type: ignore[index]
                           f"{f['ece_if_calibrated']:.3f} ({f['ece_if_calibrated_p10']:.3f}-"  # type: ignore[index]
                           f"{f['ece_if_calibrated_p90']:.3f}) | "  # type: ignore[index]
                           f"{f['confidently_wrong']:.3f} | "  # type: ignore[index]
                           f"{f['confidently_wrong_if_calibrated']:.3f} |")  # type: ignore[index]
    out += ["", "### Per system (line-weighted)", "",
            "| system | lines | accuracy with level | without level | v4 | majority | "
            "coverage | confidently wrong | ECE | problem recall | false alarms | tiers |",
            "|---" * 12 + "|"]
    for system, row in table.items():
        if system == "all":
            continue
        f = row["served_level"]
        acc = " | ".join(f"{row[v]['accuracy']:.3f}" if v in row else "-"  # type: ignore[index]
                         for v in ("served_level", "served_no_level", "v4", "majority"))
        tiers = ", ".join(f"{k} {v:.2f}" for k, v in f["tiers"].items())  # type: ignore[index,union-attr]
        out.append(f"| {system} | {row['lines']} | {acc} | {f['coverage']:.3f} | "  # type: ignore[index]
                   f"{f['confidently_wrong']:.3f} | {f['ece']:.3f} | "  # type: ignore[index]
                   f"{f['problem_recall']:.3f} | {f['false_alarms']:.3f} | {tiers} |")  # type: ignore[index]
    out += ["", "### Full table", "", "| system | variant | weighting |" + head[1:],
            "|---" * (len(KEYS) + 3) + "|"]
    for system, row in table.items():
        for variant, name in NAMES.items():
            for suffix, weighting in (("", "lines"), ("_templates", "templates")):
                if variant + suffix in row:
                    out.append(f"| {system} | {name} | {weighting} | "
                               f"{_cells(row[variant + suffix])} |")  # type: ignore[arg-type]
    out += ["", "Summary line and per-fold figures (threshold, cascade threshold, out-of-fold "
            "ECE after the distance calibration, fit seconds):", "", "```json",
            json.dumps(meta, indent=1), "```", ""]
    return "\n".join(out)


START, END = "<!-- real-logs:start -->", "<!-- real-logs:end -->"


def write_section(path: Path, text: str) -> None:
    """Put `text` between the markers of `path` (the whole file when it has none)."""
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    if START in old and END in old:
        head, rest = old.split(START, 1)
        text = f"{head}{START}\n{text}{END}{rest.split(END, 1)[1]}"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--systems", nargs="*", default=None, help="test only these systems")
    parser.add_argument("--full-grid", action="store_true",
                        help="choose C over train-logs' grid in every fold (slower); default: "
                             "v4's choices (C 16, fast C 4), made on generated data only")
    parser.add_argument("--markdown", type=Path, default=None, help="write the full table")
    parser.add_argument("--no-v4", action="store_true")
    parser.add_argument("--results", type=Path, default=CACHE / "results.csv",
                        help="where the per-line answers go (run systems in parallel "
                             "processes, each with its own file)")
    parser.add_argument("--from-results", type=Path, nargs="+", default=None,
                        help="score these per-line answer files instead of fitting")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--studies", type=Path, default=None,
                        help="also keep each fold's calibration inputs here (one .npz each)")
    parser.add_argument("--cascade-tolerance", type=float,
                        default=LogTrainingArguments.cascade_tolerance)
    parser.add_argument("--extra-share", type=float, default=None,
                        help="the real rows' share of the training weight (default: the "
                             "served model's, as train-logs --extra-share)")
    opts = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    corpus_path = opts.corpus or default_corpus()
    if opts.from_results:
        results = read_results(opts.from_results)
        folds = {}
        for path in opts.from_results:
            extra = path.with_suffix(".folds.json")
            folds.update(json.loads(extra.read_text()) if extra.is_file() else {})
        if "v4_label" not in results and not opts.no_v4:
            lines = corpus_lines(load_corpus(corpus_path))
            ordered = pd.concat([lines[lines["source"] == s]
                                 for s in results["source"].unique()], ignore_index=True)
            if len(ordered) != len(results):
                raise SystemExit("the results do not hold every line of their systems")
            v4 = v4_answers(ordered, cached_embedder(CACHE / "minilm.npz"))
            if v4 is not None:
                results[[f"v4_{c}" for c in v4.columns]] = v4.to_numpy()
        report(results, corpus_path, sorted(results["source"].unique()), folds, opts, started)
        return
    corpus = load_corpus(corpus_path)
    lines = corpus_lines(corpus)
    lines["key"] = _keys(lines["log_message"])
    gen = generated_train(opts.seed)
    settings = get_settings()
    static_folder = shipped_static_model(settings.MODELS_ROOT, settings.LOG_MODEL_NAME)
    static = StaticEmbedder(static_folder) if static_folder is not None else None
    cache = CACHE / "minilm.npz"
    embedder = cached_embedder(cache)
    before = len(embedder.cache)
    vectors = embed_keys(embedder, _keys(gen["log_message"]) + list(lines["key"]))
    if len(embedder.cache) > before:
        save_cache(embedder, cache)
    recipe = served_recipe(settings)
    if opts.extra_share is not None:
        recipe["extra_share"] = opts.extra_share
    args = LogTrainingArguments(seed=opts.seed, llm_sources=tuple(settings.LLM_SOURCES),
                                level_column="level", cascade_tolerance=opts.cascade_tolerance,
                                **recipe)
    if not opts.full_grid:
        args.c_grid, args.fast_c_grid = (16.0,), (4.0,)
    rules = RuleSet.from_yaml(settings.RULES_PATH) if settings.RULES_ENABLED else None
    systems = opts.systems or sorted(lines["source"].unique())
    parts, folds = [], {}
    for system in systems:
        part, info = run_fold(system, lines, corpus, gen, vectors, embedder, static, args, rules,
                              opts.studies)
        parts.append(part)
        folds[system] = info
        logger.warning("%s: %s", system, info)
    results = pd.concat(parts, ignore_index=True)
    if not opts.no_v4:
        v4 = v4_answers(lines[lines["source"].isin(systems)], embedder)
        if v4 is not None:
            results[[f"v4_{c}" for c in v4.columns]] = v4.to_numpy()
    opts.results.parent.mkdir(parents=True, exist_ok=True)
    results.to_csv(opts.results, index=False)  # per line, to score again without refitting
    opts.results.with_suffix(".folds.json").write_text(json.dumps(folds), encoding="utf-8")
    report(results, corpus_path, systems, folds, opts, started)


def read_results(paths: list[Path]) -> pd.DataFrame:
    """The per-line answers written by `--results` (one file per process of a run)."""
    return pd.concat([pd.read_csv(p, dtype={"level": str}, keep_default_na=False)
                      for p in paths], ignore_index=True)


def typed(results: pd.DataFrame) -> pd.DataFrame:
    """The answers with their numeric and text columns typed as `score` reads them."""
    results = results.copy()
    prefixes = ("lvl", "nolvl", "v4", "fb_lvl", "fb_nolvl")
    for column in (f"{p}_{c}" for p in prefixes for c in ("confidence", "guess_conf")):
        if column in results:
            results[column] = results[column].astype(float)
    results["problem"] = results["problem"].astype(int)
    for column in (f"{p}_stage" for p in prefixes):
        if column in results:
            results[column] = results[column].fillna("").astype(str)
    return results


def report(results: pd.DataFrame, corpus_path: Path, systems: list[str],
           folds: dict[str, object], opts: argparse.Namespace, started: float) -> None:
    """Score the per-line answers, print the summary line, write the Markdown tables."""
    results = typed(results)
    table = score(results)
    pooled = table["all"]
    summary = {
        "bench": "real_logs", "corpus": corpus_path.name, "systems": len(systems),
        "served_recipe_of": served_version(),
        "cascade_threshold_median": (float(np.median([f["cascade_threshold"] for f in
                                                      folds.values()]))  # type: ignore[index]
                                     if folds else None),
        "lines": pooled["lines"], "templates": pooled["templates"],
        **{f"{v}_{k}": pooled[v][k] for v in ("served_level", "served_no_level",
                                               "fallback_level", "fallback_no_level", "v4",
                                               "majority")
           if v in pooled for k in ("accuracy", "macro_f1", "coverage", "confidently_wrong",
                                    "ece", "problem_recall", "false_alarms")},
        "served_level_accuracy_answered": pooled["served_level"]["accuracy_answered"],
        **{f"served_level_{k}": pooled["served_level"][k] for k in (
            "ece_if_calibrated", "ece_if_calibrated_p10", "ece_if_calibrated_p90",
            "confidently_wrong_if_calibrated")},
        "served_level_template_accuracy": pooled["served_level_templates"]["accuracy"],
        "served_no_level_template_accuracy": pooled["served_no_level_templates"]["accuracy"],
        "min_system_accuracy": min(
            (table[s]["served_level"]["accuracy"], s) for s in systems),
        **({"fallback_min_system_accuracy": min(
            (table[s]["fallback_level"]["accuracy"], s) for s in systems)}
           if "fallback_level" in pooled else {}),
        "full_grid": opts.full_grid, "cascade_tolerance": opts.cascade_tolerance,
        "extra_share_override": opts.extra_share,
        "seconds": round(time.perf_counter() - started, 1),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "load_1m": round(os.getloadavg()[0], 2)}
    if opts.markdown:
        write_section(opts.markdown, markdown(table, {"summary": summary, "folds": folds}))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
