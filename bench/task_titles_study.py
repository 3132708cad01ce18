"""Variants of the task model on the authors' titles, measured as bench/task_titles.py measures
the served recipe (issue 30, third pass).

Every variant is fitted per fold as the bench fits v3: each author left out in turn, the
model is trained on the other authors plus the generated rows, and its auto-select
threshold comes from an inner leave-one-author-out over those other authors only; the
left-out author is used for nothing but the score. Variants (`VARIANTS`): the served v3;
per-(author, category) balanced weights; generated rows kept or down-weighted by how close
they come to an author's title; extra text normalisation; v3 averaged with a calibrated
linear SVM, an NB-LR on words + chars or a kNN vote over the authors' rows in MiniLM space;
TF-IDF terms kept only when two sources use them; the MiniLM directions that separate the
sources projected out; the title's word n-grams apart (recipe v4). Auto-select rules:
`p1` (served: top probability >= threshold), `margin` (p1 - p2 >= threshold),
`calibrated` (a logistic model of "right" on p1, the margin and the kNN vote, fitted and
thresholded on the inner answers, cross-fitted).
`bound` is not a result: the threshold chosen on the pooled left-out answers themselves,
the most any threshold on that variant's p1 could give.
Also `--errors`: v3's wrong answers (for the error analysis in docs/tasks-feedback.md).

    HF_HUB_OFFLINE=1 nice -n 10 .venv/bin/python -m bench.task_titles_study \\
        --variants v3,knn --cache .cache/task_titles --table
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from backend.core.calibration import threshold_for_precision
from backend.core.config import Settings
from backend.embedding.features import TextFeatures
from backend.tasks.linear import OUT_OF_DOMAIN, decide_rows
from backend.tasks.service import task_embedder
from backend.tasks.text import title_text
from training.tasks.authors import AUTHORS_DIR, GENERATED, concat, load_authors, model_texts
from training.tasks.generator import generate_tasks
from training.tasks.linear import TrainingRows, fit_linear, recipe_args, score

Predict = Callable[[TrainingRows], np.ndarray]
Fitter = Callable[[TrainingRows], tuple[list[str], Predict]]
V3 = recipe_args("v3")


# --- the rows, embedded once (cached by text) --------------------------------------------

_URL = re.compile(r"https?://\S+")
_DATE = re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b")
_TIME = re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b")
_INITIALS = re.compile(r"^[a-z]{2,3}:\s")  # "jm: maternity wifi drops"
_REPEATS = re.compile(r"([!?.])\1+")
_WORDS = {"w/": "with", "w/o": "without", "txn": "transaction", "txns": "transactions",
          "qtr": "quarter", "mtg": "meeting", "pls": "please", "wk": "week", "env": "environment",
          "envs": "environments", "config": "configuration", "info": "information",
          "doc": "document", "docs": "documentation", "msg": "message", "&": "and", "+": "and",
          "vs": "versus", "vs.": "versus", "fyi": "", "wip": "", "tbh": "", "asap": ""}


def normalised(text: str) -> str:
    """The `normalised` variant's text, after `model_text`: URLs, dates and times as words,
    leading initials and repeated punctuation dropped, common abbreviations spelt out."""
    text = _REPEATS.sub(r"\1", _URL.sub(" url ", text))
    text = _TIME.sub(" time ", _DATE.sub(" date ", text))
    text = _INITIALS.sub("", text)
    return " ".join(w for w in (_WORDS.get(w, w) for w in text.split()) if w)


@dataclass
class Corpus:
    authors: TrainingRows
    generated: TrainingRows


def load_corpus(generated: int, seed: int, cache: Path | None, normalise: bool) -> Corpus:
    frame = load_authors(AUTHORS_DIR)
    gen = generate_tasks(generated, seed)
    texts = {"a": model_texts(frame), "g": model_texts(gen)}
    titles = {"a": [title_text(t) for t in frame["title"]],
              "g": [title_text(t) for t in gen["title"]]}
    if normalise:
        texts = {k: [normalised(t) for t in v] for k, v in texts.items()}
        titles = {k: [normalised(t) for t in v] for k, v in titles.items()}
    vectors = embed_cached([*texts["a"], *texts["g"]], cache)
    n = len(texts["a"])
    return Corpus(
        TrainingRows(texts["a"], vectors[:n], list(frame["category"]), np.ones(n),
                     list(frame["author"]), titles["a"]),
        TrainingRows(texts["g"], vectors[n:], list(gen["category"]),
                     np.full(len(gen), V3.generated_weight), [GENERATED] * len(gen),
                     titles["g"]))


def embed_cached(texts: list[str], cache: Path | None) -> np.ndarray:
    """MiniLM vectors of `texts`; with `cache`, vectors already computed are read from it."""
    known: dict[str, np.ndarray] = {}
    path = cache / "minilm.npz" if cache else None
    if path and path.is_file():
        with np.load(path, allow_pickle=False) as data:
            known = dict(zip((str(t) for t in data["texts"]), data["vectors"], strict=True))
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    if missing:
        known.update(zip(missing, task_embedder(Settings()).embed(missing), strict=True))
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, texts=np.asarray(list(known)), vectors=np.stack(list(known.values())))
    return np.stack([known[t] for t in texts])


def is_author(rows: TrainingRows, author: str) -> np.ndarray:
    return np.asarray([a == author for a in rows.authors])


# --- what a variant changes: the training rows, or the model ------------------------------

def balanced(train: TrainingRows) -> TrainingRows:
    """Each (author, category) cell of the authors' rows weighs the same in total."""
    real = np.asarray([a != GENERATED for a in train.authors])
    cells = list(zip(train.authors, train.labels, strict=True))
    counts: dict[tuple[str, str], int] = {}
    for cell, keep in zip(cells, real, strict=True):
        if keep:
            counts[cell] = counts.get(cell, 0) + 1
    mean = real.sum() / len(counts)
    weights = np.asarray([mean / counts[c] if keep else w
                          for c, keep, w in zip(cells, real, train.weights, strict=True)])
    return replace(train, weights=weights)


def near_authors(keep: float | None) -> Callable[[TrainingRows], TrainingRows]:
    """Generated rows by their MiniLM cosine to the nearest author title of the fold: the
    closest `keep` share kept (weight 1), or with `keep` None weighted linearly from the
    10% to the 90% quantile (floor 0.05)."""
    def prep(train: TrainingRows) -> TrainingRows:
        gen = np.asarray([a == GENERATED for a in train.authors])
        near = (train.vectors[gen] @ train.vectors[~gen].T).max(axis=1)
        weights = train.weights.copy()
        if keep is None:
            lo, hi = np.quantile(near, [0.1, 0.9])
            weights[gen] = np.clip((near - lo) / (hi - lo), 0.05, 1.0)
        else:
            weights[gen] = (near >= np.quantile(near, 1 - keep)).astype(float)
        return replace(train, weights=weights).take(weights > 0)
    return prep


def linear(train: TrainingRows) -> tuple[list[str], Predict]:
    """Recipe v3."""
    model = fit_linear(train, V3, "minilm")
    return model.classes, lambda rows: rows.predict_proba(model)


def title_apart(train: TrainingRows) -> tuple[list[str], Predict]:
    """Recipe v4: v3 plus word n-grams of the title alone (weight 1)."""
    model = fit_linear(train, recipe_args("v4"), "minilm")
    return model.classes, lambda rows: rows.predict_proba(model)


def knn_votes(bank: TrainingRows, rows: TrainingRows, classes: Sequence[str], k: int
              ) -> np.ndarray:
    """Per row: the cosine-weighted vote of its `k` nearest `bank` rows, over `classes`."""
    onehot = (np.asarray(bank.labels)[:, None] == np.asarray(classes)[None, :]).astype(float)
    sims = rows.vectors @ bank.vectors.T
    nearest = np.argsort(-sims, axis=1)[:, :k]
    weight = np.take_along_axis(sims, nearest, 1).clip(0)
    votes = (onehot[nearest] * weight[..., None]).sum(axis=1)
    return votes / (votes.sum(axis=1, keepdims=True) + 1e-9)


def with_knn(alpha: float = 0.3, k: int = 10) -> Fitter:
    """(1 - alpha) * v3 + alpha * the kNN vote over the fold's author rows (not generated)."""
    def fit(train: TrainingRows) -> tuple[list[str], Predict]:
        classes, predict = linear(train)
        bank = train.take(np.asarray([a != GENERATED for a in train.authors]))
        return classes, lambda rows: ((1 - alpha) * predict(rows)
                                      + alpha * knn_votes(bank, rows, classes, k))
    return fit


def with_svm(alpha: float = 0.5, c: float = 0.5) -> Fitter:
    """(1 - alpha) * v3 + alpha * a linear SVM on v3's features (sigmoid-calibrated, 3-fold)."""
    def fit(train: TrainingRows) -> tuple[list[str], Predict]:
        model = fit_linear(train, V3, "minilm")
        x = model.features.combine(train.vectors, train.texts, model.blocks)
        svm = CalibratedClassifierCV(LinearSVC(C=c, max_iter=5000), cv=3, method="sigmoid")
        svm.fit(x, train.labels, sample_weight=train.weights)
        order = [list(svm.classes_).index(c) for c in model.classes]

        def predict(rows: TrainingRows) -> np.ndarray:
            x_rows = model.features.combine(rows.vectors, rows.texts, model.blocks)
            return ((1 - alpha) * model.predict_proba(rows.vectors, rows.texts)
                    + alpha * svm.predict_proba(x_rows)[:, order])
        return model.classes, predict
    return fit


def with_nb(alpha: float = 0.5, c: float = 4.0) -> Fitter:
    """(1 - alpha) * v3 + alpha * NB-LR (Wang & Manning 2012): per category a one-vs-rest
    LR on binary word + char n-grams scaled by their log-count ratio; softmax of the scores."""
    def fit(train: TrainingRows) -> tuple[list[str], Predict]:
        model = fit_linear(train, V3, "minilm")
        binary = (model.features.transform(train.texts, model.blocks) > 0).astype(np.float32)
        y, w = np.asarray(train.labels), train.weights
        heads = []
        for label in model.classes:
            pos = y == label
            p = np.asarray(binary[pos].T @ w[pos]).ravel() + 1
            q = np.asarray(binary[~pos].T @ w[~pos]).ravel() + 1
            ratio = np.log((p / p.sum()) / (q / q.sum()))
            lr = LogisticRegression(C=c, max_iter=2000)
            heads.append((ratio, lr.fit(binary.multiply(ratio).tocsr(), pos, sample_weight=w)))

        def predict(rows: TrainingRows) -> np.ndarray:
            b = (model.features.transform(rows.texts, model.blocks) > 0).astype(np.float32)
            s = np.column_stack([lr.decision_function(b.multiply(r).tocsr()) for r, lr in heads])
            e = np.exp(s - s.max(axis=1, keepdims=True))
            return ((1 - alpha) * model.predict_proba(rows.vectors, rows.texts)
                    + alpha * e / e.sum(axis=1, keepdims=True))
        return model.classes, predict
    return fit


def shared_terms(min_sources: int = 2) -> Fitter:
    """v3 with a TF-IDF term kept only when `min_sources` sources of the fold use it (each
    author one source, the generated rows one): a word one author alone writes names its
    topic (a ward, a client), not a kind of work."""
    def fit(train: TrainingRows) -> tuple[list[str], Predict]:
        features = TextFeatures.fit(train.texts, weight=V3.text_weight, min_df=V3.min_df)
        tfidf = features.transform(train.texts, V3.blocks)
        sources = np.asarray(train.authors)
        used = np.vstack([np.asarray((tfidf[sources == s] > 0).sum(axis=0)).ravel() > 0
                          for s in sorted(set(sources))])
        keep = sparse.diags((used.sum(axis=0) >= min_sources).astype(np.float32))

        def x_of(rows: TrainingRows) -> sparse.csr_matrix:
            return sparse.hstack([sparse.csr_matrix(rows.vectors.astype(np.float32)),
                                  features.transform(rows.texts, V3.blocks) @ keep], format="csr")
        lr = LogisticRegression(C=V3.C, max_iter=V3.max_iter, random_state=V3.seed)
        lr.fit(x_of(train), train.labels, sample_weight=train.weights)
        return [str(c) for c in lr.classes_], lambda rows: lr.predict_proba(x_of(rows))
    return fit


def without_source_directions(train: TrainingRows) -> tuple[list[str], Predict]:
    """v3 with the MiniLM directions that separate the fold's sources (each author's mean
    vector and the generated rows' mean, less their average) projected out of every vector:
    what tells one team's domain from another's, not one kind of work from another."""
    sources = np.asarray(train.authors)
    means = np.vstack([train.vectors[sources == s].mean(axis=0) for s in sorted(set(sources))])
    basis, _ = np.linalg.qr((means - means.mean(axis=0)).T)
    basis = basis[:, : len(means) - 1]
    projection = np.eye(train.vectors.shape[1]) - basis @ basis.T

    def projected(rows: TrainingRows) -> TrainingRows:
        return replace(rows, vectors=(rows.vectors @ projection).astype(np.float32))
    classes, predict = linear(projected(train))
    return classes, lambda rows: predict(projected(rows))


@dataclass
class Variant:
    fit: Fitter = linear
    prep: Callable[[TrainingRows], TrainingRows] | None = None
    normalise: bool = False


VARIANTS: dict[str, Variant] = {
    "v3": Variant(),
    "balanced": Variant(prep=balanced),
    "generated_near_half": Variant(prep=near_authors(0.5)),
    "generated_near_weighted": Variant(prep=near_authors(None)),
    "normalised": Variant(normalise=True),
    "svm": Variant(fit=with_svm()),
    "nb_lr": Variant(fit=with_nb()),
    "knn": Variant(fit=with_knn()),
    "shared_terms": Variant(fit=shared_terms()),
    "without_source_directions": Variant(fit=without_source_directions),
    "title_apart": Variant(fit=title_apart),
}


# --- the nested protocol and the auto-select rules ----------------------------------------

@dataclass
class Fold:
    """One left-out author: the model's answers on it, and on the other authors (inner,
    each answered by a model that did not see it) - the threshold comes from the inner."""

    author: str
    classes: list[str]
    proba: np.ndarray
    truth: list[str]
    inner_proba: np.ndarray
    inner_truth: list[str]
    votes: np.ndarray  # kNN votes (k 10) over the training authors, for the calibrated rule
    inner_votes: np.ndarray
    inner_sizes: list[int]  # rows per inner author, in the order of the inner answers


def answer(variant: Variant, authors: TrainingRows, generated: TrainingRows, held: str
           ) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """Fit on `authors` without `held` plus `generated`; answer `held`'s rows."""
    mine = is_author(authors, held)
    train = concat(authors.take(~mine), generated)
    if variant.prep:
        train = variant.prep(train)
    classes, predict = variant.fit(train)
    rows = authors.take(mine)
    return classes, predict(rows), rows.labels, knn_votes(authors.take(~mine), rows, classes, 10)


def folds_of(variant: Variant, corpus: Corpus) -> list[Fold]:
    names = sorted(set(corpus.authors.authors))
    out = []
    for author in names:
        others = corpus.authors.take(~is_author(corpus.authors, author))
        inner = [answer(variant, others, corpus.generated, a) for a in names if a != author]
        classes, proba, truth, votes = answer(variant, corpus.authors, corpus.generated, author)
        out.append(Fold(author, classes, proba, truth, np.vstack([i[1] for i in inner]),
                        [y for i in inner for y in i[2]], votes, np.vstack([i[3] for i in inner]),
                        [len(i[2]) for i in inner]))
    return out


def signals(proba: np.ndarray, classes: list[str]
            ) -> tuple[list[str | None], np.ndarray, np.ndarray]:
    """The decision (`decide_rows`), p1 and the margin p1 - p2 among the categories."""
    found, p1 = decide_rows(proba, classes)
    inside = np.asarray([c != OUT_OF_DOMAIN for c in classes])
    top = np.sort(proba[:, inside], axis=1)
    return found, p1, top[:, -1] - top[:, -2]


def right(found: list[str | None], truth: list[str]) -> np.ndarray:
    return np.asarray([f is not None and f == t for f, t in zip(found, truth, strict=True)])


def answered(found: list[str | None]) -> np.ndarray:
    return np.asarray([f is not None for f in found])


def calibrated_features(fold: Fold, inner: bool) -> tuple[list[str | None], np.ndarray]:
    proba, votes = (fold.inner_proba, fold.inner_votes) if inner else (fold.proba, fold.votes)
    found, p1, margin = signals(proba, fold.classes)
    picked = np.asarray([fold.classes.index(f) if f else 0 for f in found])
    vote = votes[np.arange(len(picked)), picked]
    agree = (votes.argmax(axis=1) == picked).astype(float)
    return found, np.column_stack([p1, margin, vote, agree, p1 * agree])


def auto_selected(fold: Fold, rule: str, target: float) -> tuple[list[str | None], np.ndarray]:
    """Which of the left-out author's rows the rule auto-selects, its threshold chosen on
    the inner answers only."""
    if rule == "calibrated":
        inner_found, x = calibrated_features(fold, inner=True)
        ok, keep = right(inner_found, fold.inner_truth), answered(inner_found)
        groups = np.repeat(np.arange(len(fold.inner_sizes)), fold.inner_sizes)
        oof = np.zeros(len(ok))
        for g in range(len(fold.inner_sizes)):  # each inner author's calibrator: the others'
            fit = LogisticRegression(C=1.0).fit(x[(groups != g) & keep], ok[(groups != g) & keep])
            oof[groups == g] = fit.predict_proba(x[groups == g])[:, 1]
        threshold = threshold_for_precision(oof[keep], ok[keep], target)["threshold"]
        found, x_out = calibrated_features(fold, inner=False)
        model = LogisticRegression(C=1.0).fit(x[keep], ok[keep])
        return found, answered(found) & (model.predict_proba(x_out)[:, 1] >= threshold)
    inner_found, inner_p1, inner_margin = signals(fold.inner_proba, fold.classes)
    keep = answered(inner_found)
    inner_score = inner_p1 if rule == "p1" else inner_margin
    threshold = threshold_for_precision(inner_score[keep],
                                        right(inner_found, fold.inner_truth)[keep],
                                        target)["threshold"]
    found, p1, margin = signals(fold.proba, fold.classes)
    return found, answered(found) & ((p1 if rule == "p1" else margin) >= threshold)


def figures(folds: list[Fold], rule: str, target: float) -> dict[str, Any]:
    found: list[str | None] = []
    auto, truth = [], []
    per = {}
    for fold in folds:
        f, a = auto_selected(fold, rule, target)
        per[fold.author] = score(f, a.astype(float), 0.5, fold.truth)
        per[fold.author].pop("threshold")
        found += f
        auto.append(a)
        truth += fold.truth
    pooled = score(found, np.concatenate(auto).astype(float), 0.5, truth)
    pooled.pop("threshold")
    return {"pooled": pooled, "per_author": per}


def bound(folds: list[Fold], target: float) -> dict[str, Any]:
    """Not a result: the p1 threshold chosen on the pooled left-out answers themselves."""
    found: list[str | None] = []
    p1s, truth = [], []
    for fold in folds:
        f, p1, _ = signals(fold.proba, fold.classes)
        found += f
        p1s.append(p1)
        truth += fold.truth
    p1 = np.concatenate(p1s)
    keep = answered(found)
    chosen = threshold_for_precision(p1[keep], right(found, truth)[keep], target)
    return score(found, p1, chosen["threshold"], truth)


def errors(folds: list[Fold], corpus: Corpus) -> list[dict[str, Any]]:
    """Every in-domain row a variant gets wrong: author, truth, answer, p1, text."""
    rows = []
    for fold in folds:
        mine = corpus.authors.take(is_author(corpus.authors, fold.author))
        found, p1, _ = signals(fold.proba, fold.classes)
        for text, truth, f, p in zip(mine.texts, fold.truth, found, p1, strict=True):
            if truth != OUT_OF_DOMAIN and f != truth:
                rows.append({"author": fold.author, "truth": truth, "answer": f,
                             "p1": round(float(p), 2), "text": text})
    return sorted(rows, key=lambda r: (r["truth"], str(r["answer"]), r["author"]))


RULES = ("p1", "margin", "calibrated")


def run(names: list[str], generated: int, seed: int, target: float, cache: Path | None,
        show_errors: bool) -> dict[str, Any]:
    corpora: dict[bool, Corpus] = {}
    out: dict[str, Any] = {}
    for name in names:
        variant = VARIANTS[name]
        if variant.normalise not in corpora:
            corpora[variant.normalise] = load_corpus(generated, seed, cache, variant.normalise)
        started = time.perf_counter()
        folds = folds_of(variant, corpora[variant.normalise])
        out[name] = {rule: figures(folds, rule, target) for rule in RULES}
        out[name]["bound"] = bound(folds, target)
        out[name]["seconds"] = round(time.perf_counter() - started, 1)
        if show_errors and name == "v3":
            out[name]["errors"] = errors(folds, corpora[False])
        sys.stderr.write(f"{name}: {json.dumps(out[name]['p1']['pooled'])}\n")
    return {"bench": "task_titles_study", "protocol": "leave-one-author-out, nested threshold",
            "generated_rows": generated, "seed": seed, "target": target, "variants": out}


def table(result: dict[str, Any]) -> str:
    rows = ["| variant | rule | accuracy | macro-F1 | auto-selected | accuracy when auto | "
            "OOD auto-selected |", "|---|---|---|---|---|---|---|"]
    for name, entry in result["variants"].items():
        for rule in (*RULES, "bound"):
            f = entry[rule] if rule == "bound" else entry[rule]["pooled"]
            rows.append(f"| {name} | {rule} | {f['accuracy']:.3f} | {f['macro_f1']:.3f} | "
                        f"{f['auto_share']:.1%} | {f['auto_accuracy']} | "
                        f"{f['ood_auto_rate']:.1%} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated, of: {', '.join(VARIANTS)}")
    parser.add_argument("--generated", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--target", type=float, default=0.95)
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder for the MiniLM vectors (embedded once, reused)")
    parser.add_argument("--errors", action="store_true", help="v3's wrong answers in the JSON")
    parser.add_argument("--table", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    opts = parser.parse_args()
    names = opts.variants.split(",")
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}")
    result = run(names, opts.generated, opts.seed, opts.target, opts.cache, opts.errors)
    line = json.dumps(result)
    if opts.out:
        opts.out.write_text(line + "\n", encoding="utf-8")
    if opts.table:
        sys.stderr.write(table(result) + "\n")
    sys.stdout.write(line + "\n")


if __name__ == "__main__":
    main()
