"""Distance-aware confidence (issue 23): the stored calibration round-trips, the similarity
is to the nearest reference key, and the same head confidence is worth less far from
everything learnt; the out-of-fold fit learns that from held-out groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backend.logs.distance import DistanceCalibration, second_opinion
from backend.logs.levels import level_columns, split_levels, with_level
from training.logs.distance import (
    calibrated_ece,
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
    coef, _, _ = fit_stage(conf, sims, right, None)
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
    shared, _, _ = fit_stage(conf, sims, right, None)
    coef, bias, _ = fit_stage(conf, sims, right, None, list(labels), classes)
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


def test_the_fast_stages_opinion_lowers_an_answer_it_disagrees_with_and_round_trips(
        tmp_path: Path) -> None:
    """--calibration-fast-opinion: where the fast stage preferred another label, MiniLM's
    answer is right less often; the calibration learns that from the opinion and keeps it
    when stored."""
    rng = np.random.default_rng(2)
    n, classes = 6000, ["Error", "Resource Usage", "System Notification"]
    conf = rng.uniform(0.5, 1.0, n)
    sims = rng.uniform(0.3, 1.0, n)
    answered = rng.choice(classes, n)
    fast_proba = rng.dirichlet(np.ones(3), n)
    opinion = second_opinion(list(answered), fast_proba, classes)
    agrees = opinion[:, 0] == 1
    right = rng.uniform(0.0, 1.0, n) < np.where(agrees, 0.95, 0.4) * conf
    coef, bias, weights = fit_stage(conf, sims, right, None, list(answered), classes, opinion)
    assert weights is not None and weights[0] > 0  # agreement raises the confidence
    calibration = DistanceCalibration(np.zeros((0, 2)), "static", {"full": coef},
                                      label_bias={"full": bias}, opinion={"full": weights})
    served = calibration.calibrate(conf, sims, "full", list(answered), opinion)
    assert served[agrees].mean() > served[~agrees].mean() + 0.3
    alone, alone_bias, _ = fit_stage(conf, sims, right, None, list(answered), classes)
    without = DistanceCalibration(np.zeros((0, 2)), "static", {"full": alone},
                                  label_bias={"full": alone_bias}).calibrate(
        conf, sims, "full", list(answered))
    assert np.mean((served - right) ** 2) < np.mean((without - right) ** 2) - 0.02  # Brier
    assert expected_calibration_error(served, right) < 0.05
    with pytest.raises(ValueError, match="second_opinion"):
        calibration.calibrate(conf, sims, "full", list(answered))  # never silently ignored
    calibration.save_pretrained(tmp_path)
    loaded = DistanceCalibration.from_pretrained(tmp_path)
    assert loaded is not None and loaded.opinion == calibration.opinion
    assert np.allclose(loaded.calibrate(conf, sims, "full", list(answered), opinion), served)


def test_second_opinion_reads_the_fast_probability_of_the_answered_label() -> None:
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    got = second_opinion(["a", "b"], proba, ["a", "b", "c"])
    assert got[:, 0].tolist() == [1.0, 0.0]
    assert np.allclose(got[:, 1], np.log([0.7 / 0.3, 0.3 / 0.7]))


def test_calibrated_ece_is_the_reference_a_lumpy_sample_reads_against() -> None:
    """One outcome per template: a perfectly calibrated model shows a large ECE on a few big
    templates and almost none on many small ones; an over-confident one sits far above."""
    rng = np.random.default_rng(3)
    small = np.arange(20_000)  # every line its own template
    conf = rng.uniform(0.4, 1.0, 20_000)
    mean_small, _, p90_small = calibrated_ece(conf, small)
    assert mean_small < 0.02 and p90_small < 0.025
    big = np.repeat(np.arange(20), 1_000)  # twenty templates of 1,000 lines
    conf_big = np.repeat(rng.uniform(0.4, 1.0, 20), 1_000)
    mean_big, p10_big, p90_big = calibrated_ece(conf_big, big)
    assert mean_big > 0.1 and p10_big < mean_big < p90_big
    truly = np.repeat(rng.uniform(size=20) < conf_big[::1_000], 1_000)  # calibrated by making
    over = np.repeat(rng.uniform(size=20) < conf_big[::1_000] - 0.35, 1_000)
    assert expected_calibration_error(conf_big, truly) < p90_big + 0.1
    assert expected_calibration_error(conf_big, over) > p90_big
