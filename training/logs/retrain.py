"""Gated retraining of the log classifier with the feedback store's labels.

The base data is the served model's recipe, read from its manifest: the seeded
generator (as for v1), and, for a model trained with `--extra-data` (v5: the labelled
Loghub corpus), those rows rebuilt from the real corpus, with the stated level as a
feature when the manifest has a `level_column` (`served_recipe`; whether the rebuilt data
reproduces the manifest's data hash is reported). The generated held-out templates are
split exactly as `train_logs` splits them, so the current version has never seen them;
the extra rows are always trained on, as `train_logs` does. User labels
(corrections, and accepts of a prediction) win over base rows with the same message, and
over extra rows of the same template key; a share of them is held out. The candidate
is built in a registry staging folder (removed unless published), both
versions are scored through the serving pipeline (`build_classifier`) on the
same held-out rows, and the candidate is published only if it is not worse.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from backend.core.config import Settings
from backend.core.normalize import KEY_VERSION, template_key
from backend.embedding.embedder import Embedder
from backend.embedding.static import STATIC_FILES, STATIC_FOLDER
from backend.feedback.store import LabelledExample
from backend.logs.classifier import LogClassifier
from backend.logs.rules import RuleSet
from backend.logs.service import KEY_VERSION_PARAM, build_classifier
from backend.registry.base import PublishingStore
from backend.registry.gate import BASE_TEMPLATES, RetrainReport, decide, is_heldout
from backend.registry.local import LocalModelStore, ModelNotFoundError
from backend.registry.manifest import Manifest
from training.logs.generator import generate_logs
from training.logs.report import write_report
from training.logs.team import (
    TEAM_MIN_ROWS,
    TeamFigure,
    contradicted,
    cross_validated,
    protected_set,
)
from training.logs.train import (
    EXTRA,
    LogTrainingArguments,
    calibration_params,
    compare_with_minilm,
    embed_keys,
    evaluate,
    fit_log_model,
    group_split,
    manifest_recipe,
    with_levels,
)

logger = logging.getLogger(__name__)
KIND = "log-classifier"
DEFAULT_BASE_ROWS = 8000  # what v1 was trained on: generate_logs(n=8000, seed=42)
SUMMARY = ("n", "accuracy", "macro_f1", "coverage_at_threshold", "accuracy_at_threshold")


def _message_key(message: str) -> str:
    return hashlib.sha256(message.strip().encode("utf-8", "replace")).hexdigest()


def corrections_frame(examples: list[LabelledExample]) -> pd.DataFrame:
    """Labelled rows from feedback (with the line's stated level when it came with one);
    every fifth (by hash) is held out once there are enough of them (the gate's rule)."""
    rows = []
    for e in examples:
        message = str(e.input.get("log_message") or "")
        if not message.strip():
            continue
        key = _message_key(message)
        held = is_heldout(key, len(examples))
        level = e.input.get("level")
        rows.append((str(e.input.get("source") or ""), message, e.label, f"feedback-{key[:8]}",
                     str(level) if level not in (None, "") else None, held))
    frame = pd.DataFrame(rows, columns=["source", "log_message", "target_label", "template_id",
                                        "level", "heldout"])
    return frame.astype({"heldout": bool})


GROUP = "__group"  # a training row's group in the out-of-fold fits (as train_logs's)


def _csv_hash(frame: pd.DataFrame) -> str:
    """The sha256 of `frame` written as the training commands write their CSVs."""
    return hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()


def real_corpus_rows() -> pd.DataFrame:
    """The labelled real corpus as training rows (what `real-logs-data` writes)."""
    from training.logs.realcorpus import corpus_lines, default_corpus, load_corpus, training_rows

    return training_rows(corpus_lines(load_corpus(default_corpus())))


def served_recipe(params: dict[str, Any], data_hash: str | None, base: pd.DataFrame,
                  extra_rows: Any = real_corpus_rows) -> tuple[pd.DataFrame | None,
                                                               dict[str, Any]]:
    """The served model's `--extra-data` rows (None when it had none) and what the retrain
    knows of its recipe. The manifest names the extra file only (`extra_data`), so the rows
    are rebuilt: `extra_rows()` (default: the labelled real corpus, `real_corpus_rows`).
    `reproduced` says whether the rebuilt generated and extra data give the manifest's data
    hash (train_logs hashes the two files' hashes together): True, the same rows; False,
    the corpus or generator changed since (the retrain still keeps them, and says so)."""
    recipe: dict[str, Any] = {"level_column": params.get("level_column"),
                              "extra_data": params.get("extra_data"), "extra_rows": 0}
    if not params.get("extra_data"):
        return None, recipe
    extra = extra_rows().reset_index(drop=True)
    recipe["extra_rows"] = len(extra)
    combined = hashlib.sha256((_csv_hash(base) + _csv_hash(extra)).encode()).hexdigest()
    recipe["reproduced"] = data_hash is not None and combined == data_hash
    if not recipe["reproduced"]:
        logger.warning("the rebuilt data does not give the served model's data hash: the "
                       "corpus or the generator changed since it was trained")
    group_column = str(params.get("extra_group_column") or "source")
    extra["key"] = [template_key(m) for m in extra["log_message"]]
    extra[GROUP] = "extra:" + extra[group_column].astype(str)
    extra[EXTRA] = True
    return extra, recipe


def split_data(base: pd.DataFrame, corrections: pd.DataFrame, args: LogTrainingArguments
               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(train, held-out base, held-out corrections). Corrections win over base rows with the
    same message in training only: the held-out base rows are the gate's protected set
    (backend.registry.gate), which no client can shrink or relabel."""
    base = base.reset_index(drop=True)
    train_idx, test_idx = group_split(base["target_label"], base["template_id"].astype(str),
                                      args.test_size, args.seed)
    overridden = set(corrections["log_message"].map(_message_key))
    keep = ~base["log_message"].map(_message_key).isin(overridden)
    train, test = base.iloc[train_idx], base.iloc[test_idx]
    cols = ["source", "log_message", "target_label", "template_id"]
    fed = [*cols, *(["level"] if "level" in corrections else [])]
    train = pd.concat([train[keep.iloc[train_idx]][cols],
                       corrections[~corrections["heldout"]][fed]], ignore_index=True)
    return (train, test[cols].reset_index(drop=True),
            corrections[corrections["heldout"]][cols].reset_index(drop=True))


def with_extra(train: pd.DataFrame, extra: pd.DataFrame | None, team: pd.DataFrame
               ) -> pd.DataFrame:
    """The training rows (GROUP set: a generated row's template, a correction its own
    group) with the served model's extra rows, minus those of a template key a team row
    labels: there the team's label is the convention (as corrections win over base rows)."""
    train = train.assign(**{GROUP: train["template_id"].astype(str)})
    if extra is None or extra.empty:
        return train
    taught = set(team["key"]) if "key" in team else set()
    kept = extra[~extra["key"].isin(taught)]
    return pd.concat([train, kept], ignore_index=True)


CORRECTION_WEIGHTS = (1, 5, 25)  # copies of each training correction, chosen by the team folds
DEFAULT_CORRECTION_WEIGHT = 5  # when the team rows are too few to fold
FEEDBACK_GROUP = "feedback-"


def with_weight(train: pd.DataFrame, weight: int) -> pd.DataFrame:
    """Corrections repeated `weight` times (one template group each, so the grouped
    cross-validation never splits a correction from its copies)."""
    fed = train["template_id"].astype(str).str.startswith(FEEDBACK_GROUP)
    if weight <= 1 or not fed.any():
        return train
    return pd.concat([train, *([train[fed]] * (weight - 1))], ignore_index=True)


def contradicted_rules(settings: Settings, corrections: pd.DataFrame) -> list[dict[str, Any]]:
    """Rules whose label the corrections contradict, per (rule, source): candidates for
    RULES_DISABLED (the rules tier answers before the model, so a retrain cannot fix them)."""
    if corrections.empty or not settings.RULES_ENABLED:
        return []
    rules = RuleSet.from_yaml(settings.RULES_PATH)
    found: dict[tuple[str, str, str], list[str]] = {}
    for source, message, label in zip(corrections["source"], corrections["log_message"],
                                      corrections["target_label"], strict=True):
        rule = rules.match(source, message)
        if rule is not None and rule.label != label:
            found.setdefault((rule.name, source, rule.label), []).append(label)
    return [{"rule": name, "source": source, "rule_label": rule_label,
             "corrections": len(labels), "corrected_to": sorted(set(labels)),
             "disable_with": f'RULES_DISABLED={{"{source}": ["{name}"]}}'}
            for (name, source, rule_label), labels in sorted(found.items())]


def score(classifier: LogClassifier, base: pd.DataFrame, corrections: pd.DataFrame
          ) -> dict[str, Any]:
    """Whole-pipeline figures on the held-out base rows and held-out corrections."""
    full = evaluate(classifier, base)
    corr = evaluate(classifier, corrections)["accuracy"] if len(corrections) else None
    return {"accuracy": full["accuracy"], "corrections_accuracy": corr,
            "heldout": {k: full[k] if k != "n" else len(base) for k in SUMMARY},
            "corrections": {"n": len(corrections), "accuracy": corr}, "_full": full}


def _arguments(params: dict[str, Any], seed: int) -> LogTrainingArguments:
    """Reuse the current version's C (one fit instead of a grid) and tier settings."""
    # the threshold and calibration choices of the served version (v6 on) and its share
    # of real rows, so a retrain keeps them
    args = LogTrainingArguments(seed=seed, **manifest_recipe(params))
    if params.get("C"):
        args.c_grid = (float(params["C"]),)
    if params.get("llm_sources") is not None:
        args.llm_sources = tuple(params["llm_sources"])
    args.level_column = params.get("level_column") or None
    if params.get("distance") is not None:
        args.distance = bool(params["distance"])
    return args


def training_frames(params: dict[str, Any], data_hash: str | None, rows: int, seed: int,
                    corrections: pd.DataFrame, args: LogTrainingArguments,
                    extra_rows: Any = real_corpus_rows
                    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame,
                               dict[str, Any]]:
    """(train, held-out base, held-out corrections, team rows, recipe): the served model's
    recipe (`served_recipe`: generated rows, its extra rows, the stated level when it read
    one) plus the team's corrections, keyed; held-out rows as `train_logs` splits them."""
    base = generate_logs(n=rows, seed=seed)
    extra, recipe = served_recipe(params, data_hash, base, extra_rows)
    train, held_base, held_corr = split_data(base, corrections, args)
    train = train.assign(key=[template_key(m) for m in train["log_message"]])
    team = corrections.assign(key=[template_key(m) for m in corrections["log_message"]])
    train = with_levels(with_extra(train, extra, team), args.level_column, args.level_dropout)
    held_base = held_base.assign(key=[template_key(m) for m in held_base["log_message"]])
    held_base = with_levels(held_base, args.level_column, dropout=False)
    return train, held_base, held_corr, team, recipe


def retrain_logs(settings: Settings, store: PublishingStore, name: str, embedder: Embedder,
                 examples: list[LabelledExample], *, rows: int | None = None,
                 seed: int | None = None, current_version: str = "latest",
                 tolerance: float = 0.01, static_model: Path | None = None) -> RetrainReport:
    """Merge, train a candidate in staging, compare with the current version on the same
    held-out rows, and publish the candidate only if it is not worse. A current version
    with a cascade gets a candidate with both stages (its static model reused), gated as
    one: the candidate is scored through its cascade (its MiniLM-alone figure reported)."""
    try:
        cur_folder, manifest = store.open(name, current_version)
    except ModelNotFoundError:
        cur_folder, manifest = None, None
    params = dict(manifest.params) if manifest else {}
    rows = rows or int(params.get("base_rows") or DEFAULT_BASE_ROWS)
    seed = seed if seed is not None else int(params.get("seed", 42))
    args = _arguments(params, seed)
    args.static_model = static_model or _static_folder(cur_folder)
    # every team row is trained on; the gate judges on them cross-validated (training.logs.team)
    corrections = corrections_frame(examples).assign(heldout=False)
    train, held_base, held_corr, team, recipe = training_frames(
        params, manifest.data_hash if manifest else None, rows, seed, corrections, args)
    vectors = embed_keys(embedder, list(dict.fromkeys([*train["key"], *held_base["key"]])))
    model, head_params, weight, tried, figure = _fit_for_team(settings, train, team, vectors,
                                                              embedder, args)
    train = with_weight(train, weight)
    # base rows the team contradicts are its to decide: they leave the protected figure
    mask = contradicted(held_base, team, vectors)
    protected = held_base[~mask].reset_index(drop=True)
    judging = protected_set(held_base, mask)
    judged_team = team if figure.accuracy is not None else team.iloc[:0]
    cur: dict[str, Any] = {}
    if manifest is not None and cur_folder is not None:
        current = build_classifier(settings, cur_folder, manifest.version, embedder)
        cur = {**score(current, protected, judged_team), "judged_on": judging.key}
        cur.pop("_full")
    report = RetrainReport(False, "", manifest.version if manifest else None, None, cur, {},
                           len(corrections), len(held_corr))
    report.contradicted_rules = contradicted_rules(settings, corrections)
    if judging != BASE_TEMPLATES:
        report.judged_on = judging.public()
    decided_by = {
        "protected": {"rows": len(protected), "templates": int(protected["template_id"].nunique()),
                      "contradicted_rows_left_out": int(mask.sum()),
                      "contradicted_templates_left_out":
                          int(held_base["template_id"][mask].nunique()),
                      "current": cur.get("accuracy")},
        "team": {**figure.public(), "current": cur.get("corrections_accuracy")}}
    with store.staging(name) as staged:
        model.save_pretrained(staged)
        candidate = build_classifier(settings, staged, "candidate", embedder)
        cand = {**score(candidate, protected, held_corr), "judged_on": judging.key,
                "corrections_accuracy": figure.accuracy,
                "corrections_kappa": figure.kappa,
                "corrections": {"n": figure.rows, **figure.public()}}
        full = cand.pop("_full")
        decided_by["protected"]["candidate"] = cand["accuracy"]
        if candidate.model.fast is not None:  # the same rows with MiniLM for every key
            cand.update(compare_with_minilm(candidate, protected, full))
        report.candidate = {**cand, "correction_weight": weight, "weights_tried": tried,
                            "recipe": recipe}
        report.decided_by = decided_by
        report.new_labels = sorted(set(candidate.labels) - set(manifest.labels if manifest
                                                                 else []))
        promote, report.reason = decide(cand, cur, report.current_version, tolerance, judging)
        if not promote:
            logger.info("log candidate not promoted: %s", report.reason)
            return report
        metrics = {**{k: v for k, v in full.items() if not isinstance(v, dict | list)},
                   "corrections_accuracy": cand["corrections_accuracy"],
                   "compared_with": cur.get("accuracy"), "train_rows": len(train),
                   "test_rows": len(protected),
                   "test_templates": int(protected["template_id"].nunique()), **head_params}
        write_report(staged, {**full, **metrics, "predictions": full["predictions"]}, protected)
        data_hash = hashlib.sha256(train.to_csv(index=False).encode()).hexdigest()
        published = store.publish(staged, Manifest(
            name=name, kind=KIND, data_hash=data_hash, labels=candidate.labels,
            metrics=metrics,
            params={"embedder": embedder.name, "group_column": "template_id",
                    "target_precision": args.target_precision, "seed": seed,
                    "llm_sources": sorted(args.llm_sources), "C": head_params["C"],
                    "text_weight": args.text_weight, "base_rows": rows,
                    "level_column": args.level_column, "extra_data": recipe["extra_data"],
                    "extra_rows": recipe["extra_rows"], "extra_share": args.extra_share
                    if recipe["extra_rows"] else None, "distance": args.distance,
                    **calibration_params(args), KEY_VERSION_PARAM: KEY_VERSION,
                    "corrections": len(corrections), "correction_weight": weight,
                    "previous_version": report.current_version}))
    report.promoted, report.candidate_version = True, published.version
    report.mirrored = store.mirrored
    return report


def _fit_for_team(settings: Settings, train: pd.DataFrame, team: pd.DataFrame,
                  vectors: dict[str, Any], embedder: Embedder, args: LogTrainingArguments
                  ) -> tuple[Any, dict[str, Any], int, dict[str, Any], TeamFigure]:
    """The candidate, its correction weight and its cross-validated team figure. The
    weight (CORRECTION_WEIGHTS) is the one whose folds answer the team's rows best (ties:
    the smaller); with too few team rows to fold, DEFAULT_CORRECTION_WEIGHT."""
    has_team = train["template_id"].astype(str).str.startswith(FEEDBACK_GROUP).any()
    weight = DEFAULT_CORRECTION_WEIGHT if has_team else 1
    rows = with_weight(train, weight)
    model, params = fit_log_model(rows, rows[GROUP].to_numpy(), vectors, embedder.name, args)
    model.config["group_column"] = "template_id"
    c = float(params.get("C", args.c_grid[0]))
    tried: dict[str, Any] = {}
    figures = {}
    with tempfile.TemporaryDirectory(prefix="sift-team-") as tmp:
        model.save_pretrained(Path(tmp))
        pipeline = build_classifier(settings, Path(tmp), "folds", embedder)
        if has_team and len(team) >= TEAM_MIN_ROWS:
            for w in CORRECTION_WEIGHTS:
                figures[w] = cross_validated(pipeline, train, team, vectors, c, w,
                                             args.extra_share)
                tried[str(w)] = {"team_cross_validated": figures[w].accuracy}
        if not figures or all(f.accuracy is None for f in figures.values()):
            return model, params, weight, tried, cross_validated(
                pipeline, train, team, vectors, c, weight, args.extra_share)
    best = max(figures, key=lambda w: (figures[w].accuracy or 0.0, -w))
    if best != weight:
        rows = with_weight(train, best)
        model, params = fit_log_model(rows, rows[GROUP].to_numpy(), vectors, embedder.name,
                                      args)
        model.config["group_column"] = "template_id"
    return model, params, best, tried, figures[best]


def _static_folder(folder: Path | None) -> Path | None:
    """The current version's static model, if it has a cascade."""
    if folder is None:
        return None
    static = folder / STATIC_FOLDER
    return static if all((static / f).is_file() for f in STATIC_FILES) else None


def publish_base(settings: Settings, store: LocalModelStore, name: str, embedder: Embedder,
                 rows: int, seed: int = 42, static_model: Path | None = None) -> Path:
    """Train and publish a first version with no feedback (tests and fresh registries)."""
    report = retrain_logs(settings, store, name, embedder, [], rows=rows, seed=seed,
                          static_model=static_model)
    assert report.candidate_version is not None
    return store.path(name, report.candidate_version)
