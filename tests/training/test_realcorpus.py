"""The labelled Loghub corpus as lines and training rows (issue 23): every line of a system
is read through the raw-log door with its event and stated level, training rows are one
per distinct (template, key, level), and the five Linux / Thunderbird twins are left out
of a fold whose test system holds the other one."""

from __future__ import annotations

from tests.utils.data import shared_file
from training.logs.realcorpus import (
    CORPUS,
    corpus_lines,
    duplicates_of,
    load_corpus,
    training_rows,
)


def test_lines_come_through_the_raw_door_with_event_label_and_level() -> None:
    shared_file("loghub/Hadoop_2k.log")
    corpus = load_corpus(CORPUS)
    lines = corpus_lines(corpus, ["Hadoop", "Linux"])
    hadoop = lines[lines["source"] == "Hadoop"]
    assert len(hadoop) == 2000 and hadoop["format"].eq("hadoop").all()
    assert hadoop["norm_level"].notna().all()  # INFO / WARN / ERROR / FATAL, read by `auto`
    linux = lines[lines["source"] == "Linux"]
    assert len(linux) == 2000 and linux["norm_level"].isna().all()  # the host is no level
    assert set(lines["problem"]) <= {0, 1} and lines["target_label"].ne("").all()
    rows = training_rows(lines)
    assert not rows.duplicated(["template_id", "log_message", "level"]).any()
    assert rows["template_id"].nunique() == lines["template_id"].nunique()
    assert len(rows) < len(lines) / 5


def test_identical_templates_of_two_systems_stay_out_of_each_others_folds() -> None:
    corpus = load_corpus(CORPUS)
    twins = corpus[corpus["duplicate_of"].str.strip() != ""]
    assert len(twins) == 5
    held = duplicates_of(corpus, "Linux")
    assert held and all(t.startswith("Thunderbird:") for t in held)
    assert all(t.startswith("Linux:") for t in duplicates_of(corpus, "Thunderbird"))
    assert duplicates_of(corpus, "HDFS") == set()
