"""Distance-aware confidence (issue 23): the stored calibration round-trips, the similarity
is to the nearest reference key, and the same head confidence is worth less far from
everything learnt; the out-of-fold fit learns that from held-out groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from backend.logs.distance import DistanceCalibration
from backend.logs.levels import level_columns, split_levels, with_level
from training.logs.distance import (
    expected_calibration_error,
    fit_stage,
    out_of_fold_similarity,
    out_of_fold_unknown_words,
)


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_similarity_is_to_the_nearest_reference_key_and_round_trips(tmp_path: Path) -> None:
    reference = _unit(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    calibration = DistanceCalibration(reference, "static", {"full": (1.0, 2.0, 0.0, -1.0)},
                                      block=1)
    probe = _unit(np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    assert np.allclose(calibration.similarity(probe), [1.0, 2 ** -0.5, 0.0], atol=1e-6)
    calibration.save_pretrained(tmp_path)
    loaded = DistanceCalibration.from_pretrained(tmp_path)
    assert loaded is not None and loaded.space == "static"
    assert loaded.coefficients == calibration.coefficients
    assert np.allclose(loaded.similarity(probe), calibration.similarity(probe), atol=1e-3)
    assert DistanceCalibration.from_pretrained(tmp_path / "none") is None


def test_a_confident_head_far_from_training_is_not_confident() -> None:
    rng = np.random.default_rng(0)
    n = 4000
    sims = rng.uniform(0.0, 1.0, n)
    conf = rng.uniform(0.5, 1.0, n)
    right = rng.uniform(0.0, 1.0, n) < conf * sims  # far keys are often wrong
    coef, _ = fit_stage(conf, sims, right, None)
    calibration = DistanceCalibration(np.zeros((0, 2)), "static", {"full": coef})
    near, far = calibration.calibrate(np.array([0.99, 0.99]), np.array([0.95, 0.1]), "full")
    assert near > 0.8 and far < 0.3
    served = calibration.calibrate(conf, sims, "full")
    assert expected_calibration_error(served, right) < 0.03
    assert expected_calibration_error(conf, right) > 0.2  # the head alone is overconfident


def test_out_of_fold_similarity_never_sees_its_own_fold() -> None:
    vectors = _unit(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.6, 0.8]]))
    keys = ["a", "a", "b", "c"]
    folds = [(np.array([2, 3]), np.array([0, 1])), (np.array([0, 1]), np.array([2, 3]))]
    sims = out_of_fold_similarity(vectors, keys, folds)
    assert np.allclose(sims, [0.6, 0.6, 0.0, 0.6], atol=1e-6)


def test_level_keys_split_back_and_become_indicator_columns() -> None:
    keys = [with_level("disk full", "err", onehot=True), "disk full",
            with_level("disk full", "combo", onehot=True)]
    bare, levels = split_levels(keys)
    assert bare == ["disk full"] * 3 and levels == ["ERROR", None, None]
    assert level_columns(levels).toarray().tolist() == [[0, 0, 0, 1, 0], [0] * 5, [0] * 5]


def test_a_label_that_is_often_wrong_far_out_gets_less_confidence_than_one_that_is_not() -> None:
    rng = np.random.default_rng(1)
    n = 6000
    sims = rng.uniform(0.2, 1.0, n)
    conf = rng.uniform(0.5, 1.0, n)
    labels = rng.choice(["Error", "System Notification"], n)
    # far lines called System Notification stay right; far lines called Error do not
    p_right = np.where(labels == "Error", conf * sims, 0.9 + 0.1 * conf)
    right = rng.uniform(0.0, 1.0, n) < p_right
    classes = ["Error", "System Notification"]
    shared, _ = fit_stage(conf, sims, right, None)
    coef, bias = fit_stage(conf, sims, right, None, list(labels), classes)
    assert set(bias) == set(classes) and bias["Error"] < bias["System Notification"]
    one_curve = DistanceCalibration(np.zeros((0, 2)), "static", {"full": shared})
    by_label = DistanceCalibration(np.zeros((0, 2)), "static", {"full": coef},
                                   label_bias={"full": bias})
    def brier(p: np.ndarray) -> float:
        return float(np.mean((p - right) ** 2))

    assert brier(by_label.calibrate(conf, sims, "full", list(labels))) < brier(
        one_curve.calibrate(conf, sims, "full"))
    err, sn = by_label.calibrate(np.array([0.95, 0.95]), np.array([0.3, 0.3]), "full",
                                 ["Error", "System Notification"])
    assert err < 0.5 < sn


def test_a_key_of_unseen_words_goes_to_minilm_and_below_its_floor_gets_chance(
        tmp_path: Path) -> None:
    minilm = _unit(np.array([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0]]))
    calibration = DistanceCalibration(
        _unit(np.array([[1.0, 0.0], [0.0, 1.0]])), "static", {"full": (1.0, 0.0, 0.0, 0.0)},
        vocabulary=frozenset({"disk", "full", "connection", "closed"}),
        minilm_reference=minilm, minilm_floor=0.5, n_labels=4)
    keys = ["disk full on <path>", "qzx vrrm plok", "<var> <var>", "disk quota plok"]
    assert calibration.novel(keys).tolist() == [False, True, False, False]
    probe = _unit(np.array([[1.0, 0.1, 0.0], [0.0, 0.0, 1.0]]))
    assert calibration.minilm_known(probe).tolist() == [True, False]
    assert np.allclose(calibration.chance(np.array([0.97, 0.97]),
                                          calibration.minilm_known(probe)), [0.97, 0.25])
    calibration.save_pretrained(tmp_path)
    loaded = DistanceCalibration.from_pretrained(tmp_path)
    assert loaded is not None and loaded.minilm_floor == 0.5 and loaded.n_labels == 4
    assert loaded.novel(keys).tolist() == [False, True, False, False]
    assert loaded.minilm_known(probe).tolist() == [True, False]


def test_out_of_fold_unknown_words_reads_only_the_fold_it_was_not_in() -> None:
    keys = ["disk full", "disk quota", "snorf glemph", "disk snorf"]
    folds = [(np.array([0, 1]), np.array([2, 3])), (np.array([2, 3]), np.array([0, 1]))]
    assert out_of_fold_unknown_words(keys, folds).tolist() == [False, False, True, False]
