"""The labelled Loghub corpus covers every template of the 14 samples, once, in the nine
labels, with a flag that follows the label and a reason (docs/labelling.md)."""

from __future__ import annotations

import pandas as pd
import pytest

from backend.core.labels import PROBLEM_LABELS
from tests.utils.data import LOGHUB, shared_file
from training.logs.build_corpus import CORPUS, LABELS, build, loghub_templates

SYSTEMS = ("Android", "Apache", "HDFS", "Hadoop", "HealthApp", "Linux", "Mac", "OpenSSH",
           "OpenStack", "Proxifier", "Spark", "Thunderbird", "Windows", "Zookeeper")


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return pd.read_csv(CORPUS, dtype=str, keep_default_na=False)


def test_corpus_has_every_loghub_template_exactly_once(corpus: pd.DataFrame) -> None:
    for system in SYSTEMS:
        shared_file(f"loghub/{system}_2k.log_templates.csv")
    templates = loghub_templates(LOGHUB)
    assert len(templates) == 1197
    keys = list(zip(corpus["system"], corpus["event_id"], strict=True))
    assert len(keys) == len(set(keys))
    assert set(keys) == set(zip(templates["system"], templates["event_id"], strict=True))
    merged = templates.merge(corpus, on=["system", "event_id"])
    assert (merged["template_x"] == merged["template_y"]).all()


def test_corpus_rows_have_one_of_nine_labels_a_flag_and_a_reason(corpus: pd.DataFrame) -> None:
    assert set(corpus["label"]) <= set(LABELS)
    flags = corpus["problem"].astype(int)
    assert ((flags == 1) == corpus["label"].isin(PROBLEM_LABELS)).all()
    assert (corpus["reason"].str.strip().str.len() > 3).all()


def test_identical_templates_across_systems_are_marked_and_agree(corpus: pd.DataFrame) -> None:
    duplicates = corpus[corpus["duplicate_of"] != ""]
    assert len(duplicates) >= 5
    by_ref = corpus.set_index(corpus["system"] + ":" + corpus["event_id"])
    for row in duplicates.itertuples():
        original = by_ref.loc[row.duplicate_of]
        assert original["template"] == row.template
        assert original["label"] == row.label


def test_build_refuses_a_missing_template(tmp_path) -> None:
    part = pd.DataFrame({"system": ["Apache"], "event_id": ["E1"], "label": ["Error"],
                         "problem": ["1"], "reason": ["x"]})
    part.to_csv(tmp_path / "Apache.csv", index=False)
    with pytest.raises(ValueError, match="unlabelled"):
        build(tmp_path, LOGHUB)


def test_build_refuses_a_label_outside_the_nine(tmp_path) -> None:
    part = pd.DataFrame({"system": ["Apache"], "event_id": ["E1"], "label": ["Info"],
                         "problem": ["0"], "reason": ["x"]})
    part.to_csv(tmp_path / "Apache.csv", index=False)
    with pytest.raises(ValueError, match="outside the nine"):
        build(tmp_path, LOGHUB)
