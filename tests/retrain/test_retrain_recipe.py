"""A retrain reproduces the served model's recipe from its manifest (issue 28): a model
trained with `--extra-data` and `--level-column` (v5: the labelled Loghub corpus, the
stated level as a feature) is retrained on those rows again, levels included, plus the
team's corrections; a model trained on generated data alone (v4) is retrained as before."""

from __future__ import annotations

import hashlib

import pandas as pd

from backend.feedback.store import LabelledExample
from training.logs.generator import generate_logs
from training.logs.retrain import _arguments, corrections_frame, training_frames
from training.logs.train import EXTRA, LEVEL

ROWS, SEED = 200, 42
V5_PARAMS = {"seed": SEED, "C": 4.0, "level_column": "level", "extra_data": "real_logs.csv",
             "distance": True}
V4_PARAMS = {"seed": SEED, "C": 16.0}
FAILED = "session closed for user root by failure"  # a team corrects this template


def _corpus() -> pd.DataFrame:
    """A stand-in for the real corpus' training rows (what `real-logs-data` writes)."""
    return pd.DataFrame({
        "source": ["Linux", "Linux", "OpenSSH", "OpenSSH"],
        "log_message": ["session opened for user root by (uid=0)", FAILED,
                        "Failed password for invalid user admin from 10.1.2.3 port 22 ssh2",
                        "Received disconnect from 10.1.2.3: 11: Bye Bye [preauth]"],
        "target_label": ["User Action", "User Action", "Security Alert", "User Action"],
        "level": ["info", "", "WARN", None],
        "template_id": ["Linux:E1", "Linux:E2", "OpenSSH:E1", "OpenSSH:E2"],
        "problem": [0, 0, 1, 0], "event_id": ["E1", "E2", "E1", "E2"]})


def _corrections() -> pd.DataFrame:
    examples = [LabelledExample({"source": "Linux", "log_message": FAILED}, FAILED, "Error",
                                "correct"),
                LabelledExample({"source": "ModernHR", "log_message": "Disk at 97%",
                                 "level": "ERROR"}, "Disk at 97%", "Resource Usage", "correct")]
    return corrections_frame(examples)


def _hash(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def test_a_retrain_of_a_model_trained_on_the_corpus_keeps_its_rows_and_levels():
    args = _arguments(V5_PARAMS, SEED)
    assert args.level_column == "level" and args.distance
    # the data hash train_logs wrote for these two files: the recipe is reproduced
    served = hashlib.sha256((_hash(generate_logs(n=ROWS, seed=SEED)) + _hash(_corpus()))
                            .encode()).hexdigest()
    train, held, _, team, recipe = training_frames(V5_PARAMS, served, ROWS, SEED,
                                                   _corrections(), args, _corpus)
    assert recipe == {"level_column": "level", "extra_data": "real_logs.csv",
                      "extra_rows": 4, "reproduced": True}
    extra = train[train[EXTRA].fillna(False).astype(bool)]
    # every corpus row but the template the team relabels; the stated levels as a feature,
    # each stated one also without its level (train_logs's level dropout)
    assert set(extra["log_message"]) == set(_corpus()["log_message"]) - {FAILED}
    assert sorted(extra[LEVEL].fillna("-")) == ["-", "-", "-", "INFO", "WARN"]
    assert set(extra["__group"]) == {"extra:Linux", "extra:OpenSSH"}  # a system, out of fold
    # the team's corrections are trained on, with the level they came with
    fed = train[train["template_id"].str.startswith("feedback-")]
    assert sorted(zip(fed["target_label"], fed[LEVEL].fillna("-"), strict=True)) == [
        ("Error", "-"), ("Resource Usage", "-"), ("Resource Usage", "ERROR")]
    assert (train[train["log_message"] == FAILED]["target_label"] == "Error").all()
    # the generated rows are split as train_logs splits them; no corpus row is held out
    generated = train[~train[EXTRA].fillna(False).astype(bool)
                      & ~train["template_id"].str.startswith("feedback-")]
    assert len(generated) + len(held) == ROWS and not set(held["log_message"]) & set(
        _corpus()["log_message"])
    assert LEVEL in held and held[LEVEL].isna().all()
    assert list(team["key"]) and len(team) == 2


def test_a_changed_corpus_is_kept_and_reported_not_reproduced():
    args = _arguments(V5_PARAMS, SEED)
    _, _, _, _, recipe = training_frames(V5_PARAMS, "0" * 64, ROWS, SEED, _corrections(),
                                         args, _corpus)
    assert recipe["extra_rows"] == 4 and recipe["reproduced"] is False


def test_a_model_trained_on_generated_data_alone_is_retrained_as_before():
    args = _arguments(V4_PARAMS, SEED)
    assert args.level_column is None

    def never() -> pd.DataFrame:
        raise AssertionError("no extra rows in this recipe")

    train, held, _, _, recipe = training_frames(V4_PARAMS, None, ROWS, SEED, _corrections(),
                                                args, never)
    assert recipe == {"level_column": None, "extra_data": None, "extra_rows": 0}
    assert LEVEL not in train and EXTRA not in train and LEVEL not in held
    assert len(train) + len(held) == ROWS + 2


def test_a_retrain_keeps_the_served_versions_calibration_choices():
    """v6 on: the per-label bias, the MiniLM floor and the precision target are the served
    version's, read from its manifest; a manifest without them retrains as v5 was."""
    v6 = {**V5_PARAMS, "target_precision": 0.9, "calibration_by_label": True,
          "minilm_floor_quantile": 0.01}
    args = _arguments(v6, SEED)
    assert (args.target_precision, args.calibration_by_label, args.minilm_floor_quantile,
            args.calibration_real_only) == (0.9, True, 0.01, False)
    args = _arguments(V5_PARAMS, SEED)
    assert (args.target_precision, args.calibration_by_label, args.minilm_floor_quantile) == (
        0.95, False, None)
