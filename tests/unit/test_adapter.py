"""The convention adapter (issue 28): corrections reach uncorrected sibling templates of
the same convention with no retrain, and only on evidence. Real parts: the default log
model from models/, real MiniLM vectors, real Loghub template keys (Linux, OpenSSH) with
the ops convention's labels (bench/data/loghub_ops_convention.csv)."""

from __future__ import annotations

import numpy as np
import pytest

from backend.core.normalize import template_key
from backend.embedding.embedder import Embedder
from backend.logs.adapter import ConventionAdapter, Evidence, ExampleFeatures
from backend.logs.classifier import LogClassifier
from backend.logs.service import build_classifier
from tests.utils.factories import REPO_MODELS, make_settings

# Linux kernel boot lines: the ops convention calls hash table sizes Resource Usage, the
# model System Notification (confidently)
DENTRY = "Dentry cache hash table entries: 131072 (order: 7, 524288 bytes)"
MOUNT = "Mount-cache hash table entries: 512 (order: 0, 4096 bytes)"
INODE = "Inode-cache hash table entries: 65536 (order: 6, 262144 bytes)"  # the sibling
DMA = "DMA zone: 4096 pages, LIFO batch:1"
NORMAL = "Normal zone: 225280 pages, LIFO batch:31"
HIGHMEM = "HighMem zone: 32752 pages, LIFO batch:7"
BYE = "Received disconnect from 187.141.143.180: 11: Bye Bye [preauth]"
UNRELATED = "Accepted password for fztu from 119.137.62.142 port 49116 ssh2"


BASE = "v4"  # trained without Loghub (v5 has seen these templates)


@pytest.fixture(scope="module")
def classifier(embedder: Embedder) -> LogClassifier:
    folder = REPO_MODELS / "log-classifier" / BASE
    if not folder.is_dir():
        pytest.skip(f"log-classifier {BASE} is not in models/")
    return build_classifier(make_settings(), folder, BASE, embedder)


def _answers(
    classifier: LogClassifier, lines: list[str]
) -> tuple[list[str], np.ndarray, list[tuple[str, float]]]:
    keys = [template_key(line) for line in lines]
    vectors = classifier._unit_vectors(keys)
    heads = classifier._head_answers(keys)
    return keys, vectors, [heads[k] for k in keys]


def _adapter(classifier: LogClassifier, taught: list[tuple[str, str]]) -> ConventionAdapter:
    keys, vectors, _ = _answers(classifier, [line for line, _ in taught])
    adapter = ConventionAdapter.fit(
        classifier.model,
        ExampleFeatures.of(classifier.model),
        keys,
        [label for _, label in taught],
        vectors,
        list(range(1, len(taught) + 1)),
    )
    assert adapter is not None
    return adapter


def _evidence(
    classifier: LogClassifier, adapter: ConventionAdapter, line: str
) -> tuple[Evidence | None, tuple[str, float]]:
    keys, vectors, heads = _answers(classifier, [line])
    thr = classifier.threshold_for()
    return adapter.evidence(keys, vectors, [heads[0][1]], thr)[0], heads[0]


def test_two_corrections_reach_an_uncorrected_sibling_template(classifier: LogClassifier):
    adapter = _adapter(
        classifier, [(DENTRY, "Resource Usage"), (MOUNT, "Resource Usage"), (BYE, "User Action")]
    )
    evidence, (model_label, model_conf) = _evidence(classifier, adapter, INODE)
    assert model_label == "System Notification"  # what the model says without the team
    assert evidence is not None and evidence.label == "Resource Usage"
    assert evidence.agreeing >= 2 and evidence.probability >= classifier.threshold_for()
    assert evidence.overrides == (model_conf >= classifier.threshold_for())
    assert adapter.fit_s < 5.0  # no retrain: one warm-started head fit


def test_corrections_do_not_reach_an_unrelated_template(classifier: LogClassifier):
    adapter = _adapter(
        classifier, [(DENTRY, "Resource Usage"), (MOUNT, "Resource Usage"), (BYE, "User Action")]
    )
    evidence, (model_label, _) = _evidence(classifier, adapter, UNRELATED)
    assert evidence is None or evidence.label == model_label


def test_a_confident_answer_is_not_overridden_without_two_agreeing_corrections(
    classifier: LogClassifier,
):
    thr = classifier.threshold_for()
    one = _adapter(classifier, [(DMA, "Resource Usage"), (BYE, "User Action")])
    evidence, (model_label, model_conf) = _evidence(classifier, one, NORMAL)
    assert model_label == "System Notification" and model_conf >= thr
    assert evidence is None  # one agreeing correction nearby: the model's answer stands
    two = _adapter(
        classifier, [(DMA, "Resource Usage"), (HIGHMEM, "Resource Usage"), (BYE, "User Action")]
    )
    evidence, _ = _evidence(classifier, two, NORMAL)
    assert evidence is not None and evidence.label == "Resource Usage" and evidence.overrides
    assert evidence.agreeing == 2


def test_fewer_than_two_known_corrections_make_no_adapter(classifier: LogClassifier):
    keys, vectors, _ = _answers(classifier, [DENTRY, MOUNT])
    examples = ExampleFeatures.of(classifier.model)
    assert (
        ConventionAdapter.fit(
            classifier.model, examples, keys[:1], ["Resource Usage"], vectors[:1], [1]
        )
        is None
    )
    assert (
        ConventionAdapter.fit(
            classifier.model, examples, keys, ["Resource Usage", "PWNED"], vectors, [1, 2]
        )
        is None
    )
