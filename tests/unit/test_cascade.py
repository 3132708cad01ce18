"""The model tier's cascade: the threshold chooser, exact routing between the stages,
the static model as a registry artifact, and cascade off = MiniLM for every key."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from backend.embedding.embedder import Embedder
from backend.embedding.static import STATIC_FOLDER, StaticEmbedder
from backend.feedback.store import LabelledExample
from backend.logs.cascade import FAST, FULL, answer_keys
from backend.logs.classifier import ClassifierOptions, LogClassifier
from backend.logs.distance import STATIC, second_opinion
from backend.logs.model import LogModel
from backend.registry.gate import decide
from backend.registry.local import LocalModelStore
from backend.registry.manifest import Manifest, ModelIntegrityError, sha256_file
from tests.utils.factories import LOG_MODEL, make_settings
from training.logs.cascade import choose_cascade_threshold
from training.logs.generator import generate_logs
from training.logs.retrain import publish_base, retrain_logs


class RecordingEmbedder:
    """The real MiniLM, remembering which texts reached it (stage 2's input)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return self.inner.embed(texts)


@pytest.fixture(scope="module")
def cascade_model(default_model_dir: Path) -> LogModel:
    model = LogModel.from_pretrained(default_model_dir, default_model_dir.name)
    if model.fast is None:
        pytest.fail(f"the default log model {default_model_dir.name} has no fast stage")
    return model


# lines of no system the models learnt, where the two stages can part ways
UNSEEN_LINES = ["Kernel watchdog reset the CPU after a soft lockup",
                "Unable to parse config value for retries; using 3",
                "backup job finished with warnings", "temperature sensor 3 reads 81C",
                "cache miss ratio 0.43 over the last minute", "GC pause of 1.2 s in old gen",
                "queue depth 1203 exceeds the soft limit", "fan 2 speed dropped to 900 rpm",
                "replica 2 lagging behind primary by 40 s", "order 5521 moved to shipped",
                "retry budget exhausted for webhook delivery"]


def _keys(n: int = 80, seed: int = 11) -> tuple[list[tuple[str, str]], list[str]]:
    frame = generate_logs(n=n, seed=seed)
    frame = frame[frame["source"] != "LegacyCRM"]
    records = list(zip(frame["source"], frame["log_message"], strict=True))
    return records, list(frame["log_message"])


def _proba(conf_right: list[tuple[float, bool]]) -> np.ndarray:
    """Two-class probabilities whose argmax is class 0 when `right`, else class 1."""
    rows = [[c, 1 - c] if right else [1 - c, c] for c, right in conf_right]
    return np.asarray(rows)


def test_threshold_is_the_lowest_that_keeps_accuracy():
    y = np.zeros(6, dtype=int)
    # stage 1: wrong at 0.55 and 0.6, right above; stage 2 right everywhere
    fast = _proba([(0.55, False), (0.6, False), (0.7, True), (0.8, True), (0.9, True),
                   (0.95, True)])
    full = _proba([(0.9, True)] * 6)
    threshold, figures = choose_cascade_threshold(fast, full, y, tolerance=0.0)
    assert threshold == pytest.approx(0.7)
    assert figures["cascade_cv_fast_share"] == pytest.approx(4 / 6, abs=1e-4)
    assert figures["cascade_cv_accuracy"] == 1.0
    # one miss out of six is tolerated at 0.2: 0.6 is the lowest value from which on it holds
    threshold, _ = choose_cascade_threshold(fast, full, y, tolerance=0.2)
    assert threshold == pytest.approx(0.6)


def test_threshold_ignores_a_lucky_low_value_below_a_bad_band():
    y = np.zeros(4, dtype=int)
    # at 0.5 the cascade would be exact only by luck of the rows above; 0.6 costs one miss
    fast = _proba([(0.55, True), (0.6, False), (0.9, True), (0.95, True)])
    full = _proba([(0.9, True), (0.9, True), (0.9, True), (0.9, True)])
    threshold, _ = choose_cascade_threshold(fast, full, y, tolerance=0.0)
    assert threshold == pytest.approx(0.9)


def test_routing_is_exact(cascade_model: LogModel, embedder: Embedder):
    records, messages = _keys()
    probe = LogClassifier(cascade_model, embedder, None, None)
    keys = probe.keys(messages)
    fast = cascade_model.fast
    assert fast is not None
    bare, levels = cascade_model.split_levels(keys)  # v5 on: the stated level is an input
    _, conf = fast.head.predict(fast.inputs(cascade_model.text_features, bare, None, levels,
                                            cascade_model.level_weight))
    threshold = float(np.median(conf))
    recording = RecordingEmbedder(embedder)
    options = ClassifierOptions(rules_enabled=False, llm_enabled=False, cascade_threshold=threshold)
    classifier = LogClassifier(cascade_model, recording, None, None, options)
    predictions = classifier.classify(records, threshold=0.0)
    below = {k for k, c in zip(keys, conf, strict=True) if c < threshold}
    assert below and len(below) < len(set(keys))
    bare_of = dict(zip(keys, bare, strict=True))  # MiniLM reads the key without its level
    # only unsure keys reached MiniLM, in one batch
    assert sorted(recording.seen) == sorted(bare_of[k] for k in below)
    for key, c, p in zip(keys, conf, predictions, strict=True):
        assert p.stage == (FULL if c < threshold else FAST), (key, c)


def test_cascade_off_gives_minilm_answers_exactly(cascade_model: LogModel, embedder: Embedder):
    records, messages = _keys(seed=12)
    off = LogClassifier(cascade_model, embedder, None, None,
                        ClassifierOptions(rules_enabled=False, llm_enabled=False,
                                      cascade_enabled=False))
    assert off.cascade_threshold is None
    keys = off.keys(messages)
    bare, levels = cascade_model.split_levels(keys)  # v5 on: the stated level is an input
    vectors = embedder.embed(bare)
    labels, conf = cascade_model.head.predict(cascade_model.inputs(vectors, bare, levels))
    dist = cascade_model.distance  # v5 on: the served confidence knows the key's distance
    if dist is not None:
        fast = cascade_model.fast
        assert fast is not None
        space = fast.embedder.embed(bare) if dist.space == STATIC else vectors
        opinion = None
        if dist.reads_opinion(FULL):  # --calibration-fast-opinion: the fast stage's opinion
            fast_proba = fast.head.predict_proba(fast.inputs(
                cascade_model.text_features, bare, levels=levels,
                level_weight=cascade_model.level_weight))
            opinion = second_opinion(labels, fast_proba, fast.head.classes)
        conf = dist.calibrate(conf, dist.similarity(space), FULL, labels, opinion)
        conf = dist.chance(conf, dist.minilm_known(vectors))  # v6 on: the MiniLM floor
    predictions = off.classify(records)
    thr = off.threshold_for()
    for p, label, c in zip(predictions, labels, conf.tolist(), strict=True):
        assert p.stage == FULL and p.confidence == pytest.approx(c, abs=1e-7)  # batch float noise
        assert p.label == (label if c >= thr else "Unclassified")


def test_model_without_fast_stage_routes_everything_to_minilm(tiny_model: LogModel,
                                                                embedder: Embedder):
    recording = RecordingEmbedder(embedder)
    answers = answer_keys(tiny_model, recording, ["disk full on <path>", "user <id> logged in"],
                          threshold=0.0)
    assert [a[2] for a in answers] == [FULL, FULL]
    assert recording.seen == ["disk full on <path>", "user <id> logged in"]


def test_static_model_registry_round_trip(cascade_model: LogModel, tmp_path: Path):
    store = LocalModelStore(tmp_path / "models")
    with store.staging(LOG_MODEL) as staged:
        cascade_model.save_pretrained(staged)
        published = store.publish(staged, Manifest(name=LOG_MODEL, kind="log-classifier",
                                                   labels=cascade_model.labels))
    folder, manifest = store.open(LOG_MODEL, published.version)
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        rel = f"{STATIC_FOLDER}/{name}"
        assert manifest.files[rel] == sha256_file(folder / rel)
    assert "fast/head.npz" in manifest.files and "fast/head.json" in manifest.files
    assert not [p for p in folder.rglob("*") if p.suffix in {".pkl", ".pickle", ".joblib"}]
    loaded = LogModel.from_pretrained(folder, published.version)
    assert loaded.fast is not None and cascade_model.fast is not None
    assert loaded.fast.threshold == cascade_model.fast.threshold
    probe = ["kernel: Out of memory: Killed process <num> (java)", "GET <path> -> <num>"]
    np.testing.assert_array_equal(loaded.fast.embedder.embed(probe),
                                  cascade_model.fast.embedder.embed(probe))
    weights = folder / STATIC_FOLDER / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="model.safetensors"):
        store.open(LOG_MODEL, published.version)


def test_static_embedder_refuses_an_incomplete_folder(cascade_model: LogModel, tmp_path: Path):
    assert cascade_model.fast is not None
    partial = tmp_path / "static"
    shutil.copytree(cascade_model.fast.embedder.folder, partial)
    (partial / "tokenizer.json").unlink()
    with pytest.raises(FileNotFoundError, match="tokenizer.json"):
        StaticEmbedder(partial)  # never falls back to a Hub download


def test_gate_scores_the_cascade_against_the_current_version():
    candidate = {"accuracy": 0.90, "corrections_accuracy": None, "accuracy_all_minilm": 0.95}
    promote, why = decide(candidate, {"accuracy": 0.94}, "v3", tolerance=0.01)
    assert not promote and "accuracy 0.9000 < current 0.9400" in why
    promote, _ = decide({**candidate, "accuracy": 0.935}, {"accuracy": 0.94}, "v3", 0.01)
    assert promote  # the cascade's accuracy is what is compared, within the tolerance


@pytest.mark.slow
def test_retrain_trains_and_gates_both_stages(cascade_model: LogModel, embedder: Embedder,
                                              tmp_path: Path):
    assert cascade_model.fast is not None
    root = tmp_path / "models"
    settings = make_settings(root)
    store = LocalModelStore(root)
    first = publish_base(settings, store, LOG_MODEL, embedder, 600,
                         static_model=cascade_model.fast.embedder.folder)
    assert (first / "fast" / "head.json").is_file() and (first / STATIC_FOLDER).is_dir()
    frame = generate_logs(n=30, seed=21)
    examples = [LabelledExample({"source": s, "log_message": m}, m, label, "correct")
                for s, m, label in zip(frame["source"], frame["log_message"],
                                       frame["target_label"], strict=True)]
    report = retrain_logs(settings, store, LOG_MODEL, embedder, examples, rows=600)
    figures = report.candidate  # scored through its cascade, and with MiniLM alone
    assert {"accuracy", "accuracy_all_minilm", "fast_share"} <= set(figures)
    assert 0.0 < figures["fast_share"] <= 1.0
    assert report.promoted, report.reason
    promoted = LogModel.from_pretrained(store.path(LOG_MODEL, report.candidate_version),
                                        report.candidate_version)
    assert promoted.fast is not None  # the candidate kept its fast stage


def test_a_target_no_threshold_reaches_sends_every_key_to_stage_2():
    y = np.zeros(3, dtype=int)
    fast = _proba([(0.6, True), (0.7, False), (0.9, True)])
    full = _proba([(0.9, True), (0.9, False), (0.9, True)])
    # a negative tolerance asks for more than stage 2 alone: nothing qualifies, so the
    # threshold sits above every confidence and stage 1 answers no key
    threshold, figures = choose_cascade_threshold(fast, full, y, tolerance=-0.5)
    assert threshold > 0.9
    assert figures["cascade_cv_fast_share"] == 0.0
    assert figures["cascade_cv_accuracy"] == pytest.approx(2 / 3, abs=1e-4)


def test_the_full_stage_reads_the_fast_stages_opinion_in_both_paths(
        cascade_model: LogModel, embedder: Embedder) -> None:
    """A calibration that reads the fast stage's opinion (train-logs
    --calibration-fast-opinion) gets it for every key MiniLM answers: in the cascade and
    with the cascade off, the same confidence; disagreement costs what its weight says."""
    dist = cascade_model.distance
    assert dist is not None and cascade_model.fast is not None
    reading = replace(cascade_model, distance=replace(dist, opinion={FULL: (3.0, 0.0)}))
    _, messages = _keys(seed=13)
    messages += UNSEEN_LINES  # on generated lines v7's two stages agree on every key
    keys = LogClassifier(reading, embedder, None, None).keys(messages)
    cascade = answer_keys(reading, embedder, keys, threshold=1.01)  # every key to MiniLM
    off = answer_keys(reading, embedder, keys, threshold=None)
    plain = answer_keys(cascade_model, embedder, keys, threshold=None)
    fast = cascade_model.fast
    bare, levels = cascade_model.split_levels(keys)
    fast_labels, _ = fast.head.predict(fast.inputs(cascade_model.text_features, bare, None,
                                                   levels, cascade_model.level_weight))
    agreed = 0
    for (label, c, stage), (label_off, c_off, _), (_, c_plain, _), guess in zip(
            cascade, off, plain, fast_labels, strict=True):
        assert stage == FULL and label == label_off and c == pytest.approx(c_off, abs=1e-6)
        if c_plain < 1 / dist.n_labels + 1e-9:
            continue  # chance below the MiniLM floor: no opinion moves it
        z_plain, z = np.log(c_plain / (1 - c_plain)), np.log(c / (1 - c))
        assert z - z_plain == pytest.approx(3.0 if guess == label else 0.0, abs=1e-4)
        agreed += guess == label
    assert 0 < agreed < len(keys), "both branches (agree, disagree) must be exercised"
