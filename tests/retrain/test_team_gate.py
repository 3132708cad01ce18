"""The gate judges a team's labelled set (issue 28): base rows the team contradicts leave
the protected figure, the team's rows are scored cross-validated by template, and a
candidate that learns no pattern from them (random labels) is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backend.core.normalize import template_key
from backend.embedding.embedder import Embedder
from backend.feedback.store import LabelledExample
from backend.registry.gate import LEARNT_KAPPA, decide, not_learnt
from backend.registry.local import LocalModelStore
from tests.retrain.conftest import LOG_MODEL
from tests.utils.factories import make_settings
from training.logs.generator import generate_logs
from training.logs.retrain import retrain_logs
from training.logs.team import contradicted
from training.logs.train import embed_keys


def _frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {"key": [template_key(m) for m, _ in rows], "target_label": [label for _, label in rows]}
    )


def test_only_base_rows_a_team_row_of_another_label_sits_on_or_near_are_contradicted(
    embedder: Embedder,
):
    base = _frame(
        [
            ("Disk usage at 97% on volume /data", "Resource Usage"),
            ("Disk usage at 91% on volume /var", "Resource Usage"),
            ("User 42 logged in from 10.0.0.3", "User Action"),
            ("Kernel panic: unable to mount root fs on node 4", "Critical Error"),
        ]
    )
    team = _frame(
        [
            ("Disk usage at 99% on volume /srv", "System Notification"),
            ("User 7 logged in from 10.0.0.9", "User Action"),
        ]
    )
    vectors = embed_keys(embedder, list(dict.fromkeys([*base["key"], *team["key"]])))
    mask = contradicted(base, team, vectors)
    # the disk lines share the team's key (another label); the login agrees; the panic is far
    assert mask.tolist() == [True, True, False, False]
    assert not contradicted(base, team.iloc[:0], vectors).any()


def test_a_candidate_whose_held_out_answers_agree_only_by_chance_is_refused():
    current = {"accuracy": 0.9, "corrections_accuracy": 0.28}
    assert not_learnt({"corrections_kappa": 0.05}).startswith(
        "the candidate does not learn the team's labels"
    )
    assert not_learnt({"corrections_kappa": LEARNT_KAPPA}) == ""
    assert not_learnt({"corrections_kappa": None}) == ""  # too few rows to cross-validate
    assert not_learnt({}) == ""  # not scored on a team's rows (task retrain)
    promote, why = decide(
        {"accuracy": 0.95, "corrections_accuracy": 0.5, "corrections_kappa": 0.01},
        current,
        "v4",
        0.01,
    )
    assert not promote and "no better than chance" in why


def test_a_team_figure_is_not_compared_more_finely_than_its_rows_allow():
    current = {"accuracy": 0.9, "corrections_accuracy": 0.9667, "corrections": {"n": 30}}
    # one row of 30 is within two standard errors; a third of them is not
    assert decide({"accuracy": 0.9, "corrections_accuracy": 0.9333}, current, "v1", 0.01)[0]
    promote, why = decide({"accuracy": 0.9, "corrections_accuracy": 0.6333}, current, "v1", 0.01)
    assert not promote and why.startswith("held-out corrections accuracy 0.6333")


@pytest.mark.slow
def test_a_random_label_candidate_is_refused_and_the_report_says_which_rows_decided(
    log_models: Path, embedder: Embedder
):
    settings = make_settings(log_models)
    lines = generate_logs(n=300, seed=11).drop_duplicates("log_message").head(40)
    labels = sorted(set(lines["target_label"]))
    rng = np.random.default_rng(0)
    examples = [
        LabelledExample(
            {"source": s, "log_message": m}, f"k{i}", str(rng.choice(labels)), "correct"
        )
        for i, (s, m) in enumerate(zip(lines["source"], lines["log_message"], strict=True))
    ]
    report = retrain_logs(
        settings, LocalModelStore(log_models), LOG_MODEL, embedder, examples, rows=600
    )
    assert report.promoted is False and report.candidate_version is None
    decided = report.decided_by
    assert decided is not None
    assert decided["team"]["rows"] == 40 and decided["team"]["folds"] >= 2
    assert decided["protected"]["rows"] > 0
    assert decided["team"]["current"] is not None and decided["team"]["current"] < 1.0
    assert decided["team"]["kappa"] < LEARNT_KAPPA
    assert report.reason.startswith("the candidate does not learn the team's labels"), report.reason
