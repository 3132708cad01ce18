"""LR head: save/load round-trip, and labels mapped through the stored class list."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from backend.embedding.linear import HEAD_CONFIG, HEAD_WEIGHTS, LinearHead


def _fitted_head() -> tuple[LinearHead, np.ndarray]:
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, 8))
    x = np.vstack([c + 0.1 * rng.normal(size=(20, 8)) for c in centers])
    y = np.repeat(["Zeta", "Alpha", "Mid"], 20)
    lr = LogisticRegression(max_iter=500).fit(x, y)
    return LinearHead(lr.coef_, lr.intercept_, list(lr.classes_), temperature=1.7,
                      threshold=0.42, extra={"note": "kept"}), x


def test_round_trip_gives_identical_probabilities(tmp_path: Path) -> None:
    head, x = _fitted_head()
    head.save_pretrained(tmp_path / "head")
    loaded = LinearHead.from_pretrained(tmp_path / "head")
    np.testing.assert_array_equal(loaded.predict_proba(x), head.predict_proba(x))
    assert loaded.classes == head.classes
    assert (loaded.temperature, loaded.threshold) == (1.7, 0.42)
    assert loaded.extra == {"note": "kept"}


def test_artifacts_are_json_and_npz_without_pickle(tmp_path: Path) -> None:
    head, _ = _fitted_head()
    head.save_pretrained(tmp_path)
    config = json.loads((tmp_path / HEAD_CONFIG).read_text())
    assert config["classes"] == ["Alpha", "Mid", "Zeta"]
    with np.load(tmp_path / HEAD_WEIGHTS, allow_pickle=False) as weights:
        assert set(weights.files) == {"coef", "intercept"}
        assert weights["coef"].dtype == np.float32


def test_labels_follow_stored_class_order_not_alphabet() -> None:
    # class i is the row i of coef: a one-hot input picks exactly that row
    classes = ["Security Alert", "Error", "HTTP Status"]
    head = LinearHead(np.eye(3) * 10, np.zeros(3), classes)
    labels, confidence = head.predict(np.eye(3))
    assert labels == classes
    assert np.all(confidence > 0.99)


def test_unusual_class_order_survives_round_trip(tmp_path: Path) -> None:
    classes = ["z-last", "a-first", "m-middle"]
    head = LinearHead(np.eye(3) * 5, np.zeros(3), classes)
    head.save_pretrained(tmp_path)
    loaded = LinearHead.from_pretrained(tmp_path)
    labels, _ = loaded.predict(np.array([[0, 0, 1.0], [1.0, 0, 0]]))
    assert labels == ["m-middle", "z-last"]


def test_sklearn_predictions_match_head_predictions() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 5))
    y = np.where(x[:, 0] > 0.3, "b", np.where(x[:, 1] > 0, "c", "a"))
    lr = LogisticRegression(max_iter=500).fit(x, y)
    head = LinearHead(lr.coef_, lr.intercept_, list(lr.classes_))
    labels, _ = head.predict(x)
    assert labels == list(lr.predict(x))
    np.testing.assert_allclose(head.predict_proba(x), lr.predict_proba(x), atol=1e-5)


def test_temperature_softens_but_keeps_argmax() -> None:
    head, x = _fitted_head()
    sharp = LinearHead(head.coef, head.intercept, head.classes, temperature=0.5)
    soft = LinearHead(head.coef, head.intercept, head.classes, temperature=5.0)
    assert sharp.predict(x)[0] == soft.predict(x)[0]
    assert soft.predict(x)[1].mean() < sharp.predict(x)[1].mean()
    np.testing.assert_allclose(soft.predict_proba(x).sum(axis=1), 1.0, rtol=1e-5)


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="shape mismatch"):
        LinearHead(np.zeros((3, 4)), np.zeros(3), ["a", "b"])
