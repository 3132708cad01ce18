"""Train the log classifier on any labelled CSV and publish it to the registry.

Honest evaluation: the split is by template (no template in both train and
test); C, the temperature and the abstain threshold are chosen on out-of-fold
predictions over the training templates (grouped k-fold), never on test; and
the report scores the full serving pipeline (rules -> model -> LLM tier) on
the test templates only.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold
from tqdm import tqdm

from backend.core.calibration import fit_temperature, softmax, threshold_for_precision
from backend.core.config import Settings
from backend.core.normalize import KEY_VERSION, template_key
from backend.core.tabular import read_table
from backend.embedding.embedder import Embedder
from backend.embedding.features import TextFeatures
from backend.embedding.linear import LinearHead
from backend.embedding.static import StaticEmbedder
from backend.logs.classifier import ClassifierOptions, LogClassifier
from backend.logs.levels import LEVEL_FEATURE, ONEHOT, level_columns, normalize_level
from backend.logs.llm.base import UNCLASSIFIED
from backend.logs.llm.tier import LLMTier
from backend.logs.model import LogModel
from backend.logs.rules import RuleSet
from backend.logs.service import KEY_VERSION_PARAM, nearest_example_provider
from backend.registry.local import LocalModelStore
from backend.registry.manifest import Manifest
from training.logs.cascade import fit_fast_stage
from training.logs.distance import fit_distance
from training.logs.report import quality_figures, write_report
from training.quality import log_warnings

logger = logging.getLogger(__name__)
# a log line always keeps a way to be answered: the threshold never asks for more than this
MAX_THRESHOLD = 0.99

REQUIRED = ("source", "log_message", "target_label")
MAX_EXAMPLES = 6000
LEVEL = "__level"  # the stated level of each row (normalised), when trained with --level-column
WEIGHT = "__weight"  # a row's weight in the fits (1 unless the data gives a `weight` column)
EXTRA = "__extra"  # rows from --extra-data: always trained on, never in the held-out split


@dataclass
class LogTrainingArguments:
    """Everything that shapes a training run (recorded in the manifest)."""

    group_column: str | None = None  # default: template_id if present, else the template key
    test_size: float = 0.2
    target_precision: float = 0.95
    c_grid: tuple[float, ...] = (4.0, 16.0, 64.0)
    text_weight: float = 1.0  # TF-IDF blocks beside the embedding; 0 = embedding only
    llm_sources: tuple[str, ...] = ("LegacyCRM",)
    seed: int = 42
    # out-of-fold accuracy the fast stage may cost. 0: none. At 0.005 (the first
    # rule) the cascade lost 0.9-1.9 points on held-out templates of three splits: the
    # out-of-fold estimate is that much noisier than half a point (bench/cascade_accuracy.py)
    cascade_tolerance: float = 0.0
    fast_blocks: tuple[str, ...] | None = None  # TF-IDF blocks of the fast stage (None: all)
    fast_c_grid: tuple[float, ...] | None = None  # C values of the fast head (None: c_grid)
    static_model: Path | None = None  # a distilled model2vec folder: train the fast stage too
    level_column: str | None = None  # the stated level as a feature (model.json level_feature)
    level_weight: float = 1.0  # scale of the five level columns beside the text features
    # every row with a level is also trained on without it, so the model answers (and is
    # calibrated) with a level and without one
    level_dropout: bool = True
    # rows always trained on and never held out (the labelled real corpus); their groups in
    # the out-of-fold fits are this column (default: whole systems), so the threshold and
    # the distance calibration learn what a system never seen costs
    extra_data: Path | None = None
    extra_group_column: str = "source"
    # the share of the total row weight the extra rows carry (None: each row weighs its own
    # weight). The real corpus is ~1,400 distinct keys beside ~6,400 generated rows; at 0.5
    # both count alike in the heads and in the distance calibration
    extra_share: float | None = 0.5
    distance: bool = True  # fit the distance-aware calibration (backend.logs.distance)
    # how it is fitted (training.logs.distance.CalibrationOptions); all off is v5's recipe
    calibration_real_only: bool = False
    calibration_by_label: bool = False
    minilm_floor_quantile: float | None = None
    calibration_fast_opinion: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def manifest_recipe(params: dict[str, Any]) -> dict[str, Any]:
    """The choices of a trained version that a refit keeps (its manifest's params): the
    abstain threshold's precision target, how the distance calibration is fitted and the
    extra rows' share of the weight, each at the default where the manifest predates it."""
    defaults = LogTrainingArguments()
    floor, share = params.get("minilm_floor_quantile"), params.get("extra_share")
    return {"target_precision": float(params.get("target_precision",
                                                 defaults.target_precision)),
            "calibration_real_only": bool(params.get("calibration_real_only", False)),
            "calibration_by_label": bool(params.get("calibration_by_label", False)),
            "minilm_floor_quantile": float(floor) if floor is not None else None,
            "calibration_fast_opinion": bool(params.get("calibration_fast_opinion", False)),
            "extra_share": float(share) if share is not None else defaults.extra_share}


def calibration_params(args: LogTrainingArguments) -> dict[str, Any]:
    """How the distance calibration was fitted, as a manifest records it (train-logs and the
    gated retrain alike; manifest_recipe reads it back)."""
    return {"calibration_real_only": args.calibration_real_only,
            "calibration_by_label": args.calibration_by_label,
            "minilm_floor_quantile": args.minilm_floor_quantile,
            "calibration_fast_opinion": args.calibration_fast_opinion}


def load_training_csv(path: Path) -> tuple[pd.DataFrame, str]:
    """Read a labelled CSV (extra columns kept, ignored) and its sha256."""
    data = Path(path).read_bytes()
    frame = read_table(data, REQUIRED).frame
    frame["log_message"] = frame["log_message"].astype(str)
    frame["target_label"] = frame["target_label"].astype(str).str.strip()
    keep = (frame["log_message"].str.strip() != "") & (frame["target_label"] != "")
    if (~keep).any():
        logger.warning("ignoring %d rows with an empty message or label", int((~keep).sum()))
    return frame[keep].reset_index(drop=True), hashlib.sha256(data).hexdigest()


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def group_split(labels: pd.Series, groups: pd.Series, size: float, seed: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """(train_idx, held_idx): whole groups held out, stratified by label where possible."""
    n_splits = max(2, round(1 / size))
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    train_idx, held_idx = next(splitter.split(np.zeros(len(labels)), labels, groups))
    return train_idx, held_idx


def group_folds(y_idx: np.ndarray, groups: np.ndarray, seed: int, folds: int = 5
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (fit, held) row indices of the grouped out-of-fold fits: every head and the
    distance calibration of one training run use the same folds."""
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y_idx)), y_idx, groups))


def embed_keys(embedder: Embedder, keys: list[str], batch: int = 256) -> dict[str, np.ndarray]:
    unique = list(dict.fromkeys(keys))
    vectors: dict[str, np.ndarray] = {}
    for start in tqdm(range(0, len(unique), batch), desc="embedding templates", unit="batch"):
        chunk = unique[start:start + batch]
        for key, vec in zip(chunk, embedder.embed(chunk), strict=True):
            vectors[key] = vec
    return vectors


def balanced(y: np.ndarray, weights: np.ndarray | None) -> str | dict[int, float]:
    """scikit-learn's "balanced" class weights, counted in row weights when there are any."""
    if weights is None:
        return "balanced"
    classes = np.unique(y)
    totals = np.array([weights[y == c].sum() for c in classes])
    return {int(c): float(weights.sum() / (len(classes) * t)) for c, t in zip(classes, totals,
                                                                               strict=True)}


def fit_lr(x: np.ndarray | sparse.csr_matrix, y: np.ndarray, c: float,
           weights: np.ndarray | None) -> LogisticRegression:
    """The head's logistic regression, class weights balanced on the row weights. (Not
    warm-started from a fit on more rows: the solver stops at its tolerance near such a
    start, and the out-of-fold fits would then have seen their held-out rows.)"""
    lr = LogisticRegression(C=c, max_iter=3000, class_weight=balanced(y, weights))
    return lr.fit(x, y, sample_weight=weights)


def out_of_fold_logits(x: np.ndarray, y: np.ndarray, groups: np.ndarray, c: float,
                       seed: int, folds: int = 5, weights: np.ndarray | None = None
                       ) -> tuple[np.ndarray, list[float]]:
    """Logits for every training row from a model that never saw its template."""
    logits = np.zeros((len(y), int(y.max()) + 1), dtype=np.float32)
    accuracy = []
    for fit_idx, held_idx in group_folds(y, groups, seed, folds):
        w = weights[fit_idx] if weights is not None else None
        lr = fit_lr(x[fit_idx], y[fit_idx], c, w)
        logits[np.ix_(held_idx, lr.classes_)] = lr.decision_function(x[held_idx])
        missing = np.setdiff1d(np.arange(logits.shape[1]), lr.classes_)
        logits[np.ix_(held_idx, missing)] = -1e4  # a class absent from this fold
        accuracy.append(float(np.mean(lr.classes_[lr.decision_function(x[held_idx]).argmax(1)]
                                      == y[held_idx])))
    return logits, accuracy


def train_head(x: np.ndarray | sparse.csr_matrix, y: list[str], groups: np.ndarray,
               args: LogTrainingArguments, weights: np.ndarray | None = None
               ) -> tuple[LinearHead, dict[str, float], np.ndarray]:
    """Choose C, the temperature and the threshold on out-of-fold predictions (grouped by
    template), then fit the head on all training rows. Also returns the calibrated
    out-of-fold probabilities (columns in `head.classes` order) for the cascade."""
    classes = sorted(set(y))
    y_idx = np.array([classes.index(c) for c in y])
    best: tuple[float, float, np.ndarray, list[float]] | None = None
    for c in args.c_grid:
        logits, fold_acc = out_of_fold_logits(x, y_idx, groups, c, args.seed, weights=weights)
        score = float(f1_score(y_idx, logits.argmax(1), average="macro"))
        logger.info("C=%s out-of-fold macro-F1 %.4f", c, score)
        if best is None or score > best[0]:
            best = (score, c, logits, fold_acc)
    assert best is not None
    score, c, logits, fold_acc = best
    lr = fit_lr(x, y_idx, c, weights)
    head = LinearHead(lr.coef_, lr.intercept_, [classes[i] for i in lr.classes_])
    head.temperature = fit_temperature(logits, y_idx)
    proba = softmax(logits, head.temperature)
    correct = proba.argmax(1) == y_idx
    chosen = threshold_for_precision(proba.max(1), correct, args.target_precision)
    head.threshold = min(chosen["threshold"], MAX_THRESHOLD)
    return head, {"C": c, "cv_model_tier_macro_f1": round(score, 4),
                  "cv_model_tier_accuracy": round(float(np.mean(fold_acc)), 4),
                  "cv_model_tier_accuracy_std": round(float(np.std(fold_acc)), 4),
                  "cv_folds": len(fold_acc), "temperature": round(head.temperature, 4),
                  "threshold": head.threshold}, proba


def fit_log_model(train: pd.DataFrame, groups: np.ndarray, vectors: dict[str, np.ndarray],
                  embedder_name: str, args: LogTrainingArguments,
                  static: StaticEmbedder | None = None,
                  capture: dict[str, Any] | None = None) -> tuple[LogModel, dict[str, float]]:
    """Surface features, head and example bank from training rows (`key` column set; a
    LEVEL column of normalised levels and a WEIGHT column when the data has them); with a
    static embedder (or `args.static_model`) also the cascade's fast stage and its
    threshold; with `args.distance` the distance-aware calibration, and then the abstain
    threshold is chosen on the confidences it serves. `capture`, when given, receives the
    out-of-fold inputs of that calibration (bench/real_logs.py studies them per fold)."""
    if static is None and args.static_model is not None:
        static = StaticEmbedder(args.static_model)
    keys = list(train["key"])
    text = (TextFeatures.fit(keys, args.text_weight) if args.text_weight > 0 else None)
    llm = set(args.llm_sources)
    modelled = (~train["source"].isin(llm)).to_numpy()
    rows = collapse(shared(train, args.extra_share)[modelled], np.asarray(groups)[modelled])
    model_keys = list(rows["key"])
    levels = ([lv or None for lv in rows[LEVEL]] if LEVEL in train else None)
    weights = rows[WEIGHT].to_numpy(dtype=np.float64)
    groups = rows["__fold_group"].to_numpy()
    x = np.stack([vectors[k] for k in model_keys]) if model_keys else np.zeros((0, 384))
    x_in = text.combine(x, model_keys) if text is not None else x
    if levels is not None:
        x_in = sparse.hstack([sparse.csr_matrix(x_in), level_columns(levels, args.level_weight)],
                             format="csr")
    y = list(rows["target_label"])
    model_groups = groups
    head, fitted, full_proba = train_head(x_in, y, model_groups, args, weights)
    head_params: dict[str, Any] = dict(fitted)
    fast = fast_proba = None
    if static is not None:
        fast, fast_params, fast_proba = fit_fast_stage(static, text, model_keys, y, model_groups,
                                                       full_proba, args, levels, weights)
        head_params = {**head_params, **fast_params}
    distance = None
    if args.distance and model_keys:
        space = static.embed(model_keys) if static is not None else x
        classes = sorted(set(y))
        if capture is not None:
            capture.update(space=space, keys=np.asarray(model_keys, dtype=str),
                           y_idx=np.array([classes.index(c) for c in y]),
                           groups=np.asarray(model_groups, dtype=str), full_proba=full_proba,
                           fast_proba=fast_proba, weights=weights,
                           classes=np.asarray(classes, dtype=str),
                           cascade_threshold=fast.threshold if fast is not None else np.nan,
                           minilm=x)
        distance, threshold, dist_params = fit_distance(
            space, model_keys, np.array([classes.index(c) for c in y]), model_groups,
            full_proba, fast_proba, fast.threshold if fast is not None else None, args,
            weights, static is not None, classes, x)
        head.threshold = min(threshold, MAX_THRESHOLD)
        head_params = {**head_params, **dist_params, "threshold": head.threshold}
    bank = train.drop_duplicates(["key", "target_label"])
    bank = bank.sample(min(len(bank), MAX_EXAMPLES), random_state=args.seed)
    config: dict[str, object] = {"llm_sources": sorted(llm)}
    if levels is not None:
        config.update({LEVEL_FEATURE: ONEHOT, "level_weight": args.level_weight})
    model = LogModel(head, np.stack([vectors[k] for k in bank["key"]]),
                     list(bank["target_label"]), list(bank["source"]), embedder_name,
                     config=config, text_features=text,
                     example_keys=list(bank["key"]) if text is not None else [], fast=fast,
                     example_static=static.embed(list(bank["key"])) if static else None,
                     distance=distance)
    return model, {**head_params, "text_weight": args.text_weight,
                   "text_features": text.dim if text is not None else 0}


def shared(train: pd.DataFrame, share: float | None) -> pd.DataFrame:
    """WEIGHT scaled so that the EXTRA rows carry `share` of the total weight."""
    if share is None or EXTRA not in train:
        return train
    extra = train[EXTRA].fillna(False).astype(bool).to_numpy()
    weights = (train[WEIGHT].to_numpy(dtype=np.float64).copy() if WEIGHT in train
               else np.ones(len(train)))
    if extra.all() or not extra.any():
        return train
    weights[extra] *= share / (1 - share) * weights[~extra].sum() / weights[extra].sum()
    return train.assign(**{WEIGHT: weights})


def collapse(rows: pd.DataFrame, groups: np.ndarray) -> pd.DataFrame:
    """One row per distinct (key, level, label, group), weighing as many as it stands for:
    the same fit as on every copy (class weights are balanced on the weights), in a third of
    the time on the generated data (6,400 rows, ~2,100 distinct keys)."""
    frame = pd.DataFrame({
        "key": rows["key"].to_numpy(), "target_label": rows["target_label"].to_numpy(),
        "__fold_group": np.asarray(groups).astype(str),
        LEVEL: (rows[LEVEL].fillna("").to_numpy() if LEVEL in rows else ""),
        WEIGHT: (rows[WEIGHT].to_numpy(dtype=np.float64) if WEIGHT in rows else 1.0)})
    keys = ["key", LEVEL, "target_label", "__fold_group"]
    return frame.groupby(keys, sort=False, as_index=False)[WEIGHT].sum()


def with_levels(frame: pd.DataFrame, column: str | None, dropout: bool) -> pd.DataFrame:
    """LEVEL set from `column` (normalised; unknown values are no level). With dropout every
    row that states a level is also there without it (same group, so the same fold)."""
    if column is None:
        return frame
    if column not in frame:
        frame = frame.assign(**{LEVEL: None})
    else:
        frame = frame.assign(**{LEVEL: [normalize_level(v) for v in frame[column]]})
    if not dropout:
        return frame
    stated = frame[frame[LEVEL].notna()]
    return pd.concat([frame, stated.assign(**{LEVEL: None})], ignore_index=True)


def load_extra(path: Path, args: LogTrainingArguments) -> pd.DataFrame:
    """The --extra-data rows, keyed, grouped by `args.extra_group_column`."""
    extra, _ = load_training_csv(path)
    if args.extra_group_column not in extra:
        raise ValueError(f"{path} has no column {args.extra_group_column!r} to group by")
    extra["key"] = [template_key(m) for m in extra["log_message"]]
    extra["__group"] = "extra:" + extra[args.extra_group_column].astype(str)
    extra[EXTRA] = True
    return extra


def train_logs(data: Path, settings: Settings, embedder: Embedder,
               args: LogTrainingArguments | None = None, name: str | None = None,
               static: StaticEmbedder | None = None) -> Manifest:
    """Train, evaluate on held-out templates and publish a new registry version (with a
    static embedder: both cascade stages, scored against MiniLM alone on the same rows)."""
    args = args or LogTrainingArguments()
    frame, data_hash = load_training_csv(data)
    frame["key"] = [template_key(m) for m in tqdm(frame["log_message"], desc="template keys")]
    if args.level_column and args.level_column not in frame and args.extra_data is None:
        raise ValueError(f"--level-column {args.level_column!r} is not a column of {data}")
    group_col = args.group_column or ("template_id" if "template_id" in frame else "key")
    groups = frame[group_col].astype(str)
    train_idx, test_idx = group_split(frame["target_label"], groups, args.test_size, args.seed)
    train = frame.iloc[train_idx].assign(__group=groups.iloc[train_idx].to_numpy())
    test = frame.iloc[test_idx].reset_index(drop=True)
    if args.extra_data is not None:
        extra = load_extra(args.extra_data, args)
        data_hash = hashlib.sha256((data_hash + file_hash(args.extra_data)).encode()).hexdigest()
        train = pd.concat([train, extra], ignore_index=True)
    if "weight" in train:
        train[WEIGHT] = pd.to_numeric(train["weight"], errors="coerce").fillna(1.0)
    train = with_levels(train, args.level_column, args.level_dropout)
    test = with_levels(test, args.level_column, dropout=False)
    vectors = embed_keys(embedder, list(train["key"]) + list(test["key"]))
    model, head_params = fit_log_model(train, train["__group"].to_numpy(), vectors,
                                       embedder.name, args, static)
    model.config["group_column"] = group_col
    test_groups = groups.iloc[test_idx]
    train_groups = groups.iloc[train_idx]

    rules = RuleSet.from_yaml(settings.RULES_PATH) if settings.RULES_ENABLED else None
    provider = nearest_example_provider(model, embedder)
    options = ClassifierOptions(llm_sources=frozenset(args.llm_sources))
    classifier = LogClassifier(model, embedder, rules, LLMTier(provider, model.labels), options)
    metrics = evaluate(classifier, test)
    if model.fast is not None:
        metrics.update(compare_with_minilm(classifier, test, metrics))
    metrics.update({"train_rows": len(train), "test_rows": len(test),
                    "test_templates": int(test_groups.nunique()),
                    "train_templates": int(train_groups.nunique()), **head_params})
    if args.extra_data is not None:
        metrics["extra_rows"] = int(train[EXTRA].fillna(False).astype(bool).sum())
    name = name or settings.LOG_MODEL_NAME
    quality = quality_figures(train["target_label"], test["target_label"], metrics)
    metrics.update(quality)
    log_warnings(name, quality["warnings"])

    store = LocalModelStore(settings.MODELS_ROOT)
    with store.staging(name) as staged:
        model.save_pretrained(staged)
        write_report(staged, metrics, test)
        manifest = Manifest(
            name=name, kind="log-classifier", data_hash=data_hash, labels=classifier.labels,
            metrics={k: v for k, v in metrics.items() if not isinstance(v, dict | list)},
            params={"embedder": embedder.name, "group_column": group_col,
                    "target_precision": args.target_precision, "seed": args.seed,
                    "llm_sources": sorted(args.llm_sources), "C": head_params["C"],
                    "text_weight": args.text_weight, "level_column": args.level_column,
                    "extra_data": args.extra_data.name if args.extra_data else None,
                    "distance": args.distance,
                    "extra_share": args.extra_share if args.extra_data else None,
                    "extra_group_column": (args.extra_group_column if args.extra_data
                                           else None),
                    "level_weight": args.level_weight, "level_dropout": args.level_dropout,
                    **calibration_params(args), KEY_VERSION_PARAM: KEY_VERSION})
        return store.publish(staged, manifest)


def evaluate(classifier: LogClassifier, test: pd.DataFrame) -> dict[str, object]:
    """Score the whole pipeline on held-out rows: with abstention and without."""
    from sklearn.metrics import accuracy_score, classification_report

    columns = [test["source"], test["log_message"]] + ([test[LEVEL]] if LEVEL in test else [])
    records = list(zip(*columns, strict=True))
    truth = list(test["target_label"])
    forced = classifier.classify(records, threshold=0.0)
    at_thr = classifier.classify(records)
    pred = [p.label for p in forced]
    covered = [i for i, p in enumerate(at_thr) if p.label != UNCLASSIFIED]
    cov_truth = [truth[i] for i in covered]
    cov_pred = [at_thr[i].label for i in covered]
    labels = sorted(set(truth))
    return {
        "accuracy": round(float(accuracy_score(truth, pred)), 4),
        "macro_f1": round(float(f1_score(truth, pred, labels=labels, average="macro")), 4),
        "threshold": classifier.threshold_for(),
        "coverage_at_threshold": round(len(covered) / len(truth), 4) if truth else 0.0,
        "accuracy_at_threshold": round(float(accuracy_score(cov_truth, cov_pred)), 4)
        if covered else 0.0,
        "macro_f1_at_threshold": round(float(f1_score(cov_truth, cov_pred, labels=labels,
                                                      average="macro", zero_division=0)), 4)
        if covered else 0.0,
        "per_class": classification_report(truth, pred, labels=labels, output_dict=True,
                                           zero_division=0),
        "by_tier": dict(Counter(p.tier for p in forced)),
        "by_stage": dict(Counter(p.stage for p in forced if p.stage)),
        "predictions": pred,
    }


def compare_with_minilm(classifier: LogClassifier, test: pd.DataFrame,
                        cascade: dict[str, object]) -> dict[str, object]:
    """The same pipeline with the cascade off (MiniLM for every key), on the same rows,
    and the share of model-tier rows the fast stage answered."""
    options = replace(classifier.options, cascade_enabled=False)
    llm = LLMTier(nearest_example_provider(classifier.model, classifier.embedder, cascade=False),
                  classifier.model.labels)
    minilm = LogClassifier(classifier.model, classifier.embedder, classifier.rules, llm, options)
    full = evaluate(minilm, test)
    stages: dict[str, int] = cascade["by_stage"]  # type: ignore[assignment]
    return {"accuracy_all_minilm": full["accuracy"], "macro_f1_all_minilm": full["macro_f1"],
            "coverage_at_threshold_all_minilm": full["coverage_at_threshold"],
            "fast_share": round(stages.get("fast", 0) / max(sum(stages.values()), 1), 4),
            "cascade_threshold": classifier.cascade_threshold}
