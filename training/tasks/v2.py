"""task-categorizer v2: train on the authors' titles plus generated ones, judge on held-out
authors, publish; and its gated retrain with user corrections.

The figure that gates a retrain (`accuracy`) is leave-one-author-out: each author
is left out in turn, a model is fitted on everything else (other authors, the
generated rows, the trained corrections) and answers that author's rows. The same
pass gives the auto-select threshold (`fit_with_threshold`). The current version's
figure is the one in its manifest when it was measured on the same judging set
(same authors' rows); a version that never saw the authors (v1) is scored on them
directly. Both are out-of-sample, so the gate compares like with like.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backend.embedding.embedder import Embedder
from backend.feedback.store import LabelledExample
from backend.registry.base import ModelStore, PublishingStore
from backend.registry.gate import JudgingSet, RetrainReport, decide, is_heldout
from backend.registry.local import ModelNotFoundError
from backend.registry.manifest import Manifest
from backend.tasks.categorizer import V1_THRESHOLD
from backend.tasks.linear import TaskLinearModel, decide_rows
from backend.tasks.model import TaskHead
from backend.tasks.text import model_text, task_text, title_text
from training.tasks.authors import AUTHORS_DIR, concat, generated_rows, load_authors, rows_of
from training.tasks.linear import (
    DEFAULT_RECIPE,
    HeldOutAnswers,
    LinearTrainingArguments,
    TrainingRows,
    fit_with_threshold,
    recipe_args,
    score,
)

logger = logging.getLogger(__name__)
KIND = "task-categorizer"
FEEDBACK = "feedback"


RECIPE = "authors+generated"


def is_v2_recipe(params: dict[str, Any]) -> bool:
    """Whether a manifest's params describe a linear model on authors' titles + generated
    (v2, v3: they differ in `training`, the arguments, not in how they are judged)."""
    return params.get("recipe") == RECIPE


def args_of(params: dict[str, Any], seed: int) -> LinearTrainingArguments:
    """The training arguments a manifest recorded (a retrain keeps the served recipe);
    the default recipe when it recorded none."""
    recorded = params.get("training")
    if is_v2_recipe(params) and isinstance(recorded, dict):
        return LinearTrainingArguments.from_dict({**recorded, "seed": seed})
    return recipe_args(DEFAULT_RECIPE, seed=seed)


def judging_set(folder: Path = AUTHORS_DIR) -> JudgingSet:
    """Leave-one-author-out over the authors' CSVs in `folder`, keyed by their bytes."""
    digest = hashlib.sha256()
    names = []
    for path in sorted(folder.glob("*.csv")):
        names.append(path.stem)
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return JudgingSet("held-out authors", f"loao:{digest.hexdigest()[:16]}",
                      f"leave-one-author-out over {', '.join(names)}")


def corrections_frame(examples: list[LabelledExample]) -> pd.DataFrame:
    rows = [(e.input.get("title", ""), e.input.get("description") or "", e.label,
             is_heldout(e.input_key, len(examples))) for e in examples]
    return pd.DataFrame(rows, columns=["title", "description", "category", "heldout"])


def figures(answers: HeldOutAnswers, threshold: float, judging: JudgingSet) -> dict[str, Any]:
    """The gated figures of out-of-fold answers (the threshold was chosen on them too, so
    the auto-select figures here are in-sample for it: bench/task_titles.py is the test)."""
    return {**score(answers.categories, answers.confidence, threshold, answers.truth),
            "judged_on": judging.key}


def train_rows(embedder: Embedder, rows: int, seed: int, args: LinearTrainingArguments,
               authors_dir: Path = AUTHORS_DIR) -> tuple[TrainingRows, list[str]]:
    frame = load_authors(authors_dir)
    data = concat(rows_of(frame, embedder), generated_rows(rows, seed, embedder,
                                                           args.generated_weight))
    return data, sorted(set(frame["author"]))


def _corrections_answers(model: TaskHead | TaskLinearModel, embedder: Embedder,
                         held: pd.DataFrame) -> dict[str, Any]:
    if not len(held):
        return {"n": 0, "accuracy": None}
    texts = [task_text(t, d) for t, d in zip(held["title"], held["description"], strict=True)]
    if isinstance(model, TaskLinearModel):
        seen = [model_text(t) for t in texts]
        titles = [title_text(t) for t in held["title"]]
        found, _ = decide_rows(model.predict_proba(embedder.embed(seen), seen, titles),
                               model.classes)
    else:
        proba = model.predict_proba(embedder.embed(texts))
        found = [model.classes[i] for i in proba.argmax(axis=1)]
    right = [f == y for f, y in zip(found, held["category"], strict=True)]
    return {"n": len(right), "accuracy": round(float(np.mean(right)), 4)}


def current_figures(store: ModelStore, name: str, version: str, embedder: Embedder,
                    judging: JudgingSet, authors_dir: Path, held: pd.DataFrame
                    ) -> tuple[dict[str, Any], Manifest | None]:
    """The current version's figures on the judging set: from its manifest when measured
    there, else (a version that never trained on the authors) scored on their rows."""
    try:
        folder, manifest = store.open(name, version)
    except ModelNotFoundError:
        return {}, None
    model: TaskHead | TaskLinearModel = (
        TaskLinearModel.from_pretrained(folder) if TaskLinearModel.is_stored_in(folder)
        else TaskHead.from_pretrained(folder))
    corr = _corrections_answers(model, embedder, held)
    stored = manifest.metrics
    if stored.get("judged_on") == judging.key:
        return {**stored, "corrections_accuracy": corr["accuracy"]}, manifest
    if manifest.params.get("authors"):
        logger.warning("%s %s was trained on another set of authors: scored on these "
                       "directly (optimistic for it)", name, manifest.version)
    frame = load_authors(authors_dir)
    data = rows_of(frame, embedder)
    if isinstance(model, TaskLinearModel):
        found, conf = decide_rows(data.predict_proba(model), model.classes)
        threshold = model.threshold
    else:
        vectors = embedder.embed([task_text(t, d) for t, d in
                                  zip(frame["title"], frame["description"], strict=True)])
        proba = model.predict_proba(vectors)
        found, conf, threshold = ([model.classes[i] for i in proba.argmax(axis=1)],
                                  proba.max(axis=1), V1_THRESHOLD)
    answers = HeldOutAnswers(list(found), np.asarray(conf), data.labels)
    return {**figures(answers, threshold, judging),
            "corrections_accuracy": corr["accuracy"]}, manifest


def publish_v2(store: PublishingStore, name: str, model: TaskLinearModel,
               metrics: dict[str, Any], params: dict[str, Any]) -> Manifest:
    with store.staging(name) as staged:
        model.save_pretrained(staged)
        manifest = Manifest(name=name, kind=KIND, labels=model.classes, metrics=metrics,
                            params=params, data_hash=str(params.get("judged_on", "")))
        return store.publish(staged, manifest)


def train_v2(embedder: Embedder, *, rows: int, seed: int,
             args: LinearTrainingArguments | None = None, authors_dir: Path = AUTHORS_DIR,
             examples: list[LabelledExample] | None = None
             ) -> tuple[TaskLinearModel, dict[str, Any], dict[str, Any], pd.DataFrame]:
    """Fit v2 on authors + generated (+ trained corrections); the threshold and the gated
    figures come from leaving each author out. Returns the model, its figures, the
    manifest params and the held-out corrections. `args` None: the default recipe."""
    args = args or recipe_args(DEFAULT_RECIPE, seed=seed)
    judging = judging_set(authors_dir)
    data, authors = train_rows(embedder, rows, seed, args, authors_dir)
    corrections = corrections_frame(examples or [])
    trained = corrections[~corrections["heldout"]] if len(corrections) else corrections
    if len(trained):
        data = concat(data, rows_of(trained, embedder, FEEDBACK, args.correction_weight))
    model, answers, chosen = fit_with_threshold(data, authors, args, embedder.name)
    metrics = {**figures(answers, chosen["threshold"], judging),
               "threshold_choice": chosen}
    held = corrections[corrections["heldout"]] if len(corrections) else corrections
    metrics["corrections_accuracy"] = _corrections_answers(model, embedder, held)["accuracy"]
    params = {"recipe": RECIPE, "authors": authors,
              "threshold_authors": authors, "judged_on": judging.key,
              "judging": judging.public(), "base_rows": rows, "seed": seed,
              "training": args.to_dict(), "corrections": len(corrections)}
    return model, metrics, params, held


def retrain_v2(store: PublishingStore, name: str, embedder: Embedder,
               examples: list[LabelledExample], *, rows: int, seed: int,
               current_version: str = "latest", tolerance: float = 0.01,
               authors_dir: Path = AUTHORS_DIR) -> RetrainReport:
    """Gated retrain of v2/v3: candidate (the current version's recipe) and current judged
    on held-out authors (and the same held-out corrections); published only if not worse
    on either."""
    judging = judging_set(authors_dir)
    try:
        served = store.manifest(name, current_version).params
    except ModelNotFoundError:
        served = {}
    model, cand, params, held = train_v2(embedder, rows=rows, seed=seed,
                                         args=args_of(served, seed),
                                         authors_dir=authors_dir, examples=examples)
    cur, manifest = current_figures(store, name, current_version, embedder, judging,
                                    authors_dir, held)
    current_labels = manifest.labels if manifest else []
    report = RetrainReport(False, "", manifest.version if manifest else None, None, cur, cand,
                           len(examples), len(held),
                           sorted(set(model.classes) - set(current_labels)),
                           judged_on=judging.public())
    promote, report.reason = decide(cand, cur, report.current_version, tolerance, judging)
    if not promote:
        logger.info("candidate not promoted: %s", report.reason)
        return report
    published = publish_v2(store, name, model, {**cand, "compared_with": cur.get("accuracy")},
                           {**params, "previous_version": report.current_version})
    report.promoted, report.candidate_version = True, published.version
    report.mirrored = store.mirrored
    return report
