"""Process views of a tagged log on the real BPI 2013 log, checked against plain pandas
(a different formulation: shift within groups) and against PM4Py's DFG and variants."""

from __future__ import annotations

import pandas as pd
import pytest

from backend.core.errors import BadInputError
from backend.sessions.views import LogColumns, process_views
from tests.utils.data import shared_file

CASE, TIME, STEP = "case:concept:name", "time:timestamp", "step_name"
COLS = LogColumns(CASE, TIME, STEP)


@pytest.fixture(scope="module")
def tagged() -> pd.DataFrame:
    """BPI 2013 with its activity as the step and every 7th event abstained, rows shuffled
    (the views sort by case and time themselves)."""
    log = pd.read_csv(shared_file("eventlogs/BPI2013_closed.csv"), dtype=str)
    log[STEP] = log["concept:name"].where(log.index % 7 != 3, "Unclassified")
    return log.sample(frac=1.0, random_state=3)


@pytest.fixture(scope="module")
def instances(tagged: pd.DataFrame) -> pd.DataFrame:
    """Step instances by plain pandas: sort, compare with the previous event of the case."""
    df = tagged.assign(t=pd.to_datetime(tagged[TIME], utc=True), row=range(len(tagged)))
    df = df.sort_values([CASE, "t", "row"], kind="stable")
    prev = df.groupby(CASE)[STEP].shift()
    df["run"] = (prev != df[STEP]).cumsum()
    runs = df.groupby("run").agg(case=(CASE, "first"), step=(STEP, "first"),
                                 start=("t", "min"), end=("t", "max"), events=(STEP, "size"))
    return runs.reset_index(drop=True)


@pytest.fixture(scope="module")
def views(tagged: pd.DataFrame) -> dict[str, object]:
    return process_views(tagged, COLS, case="1-109135791", top=10)


def test_summary_counts_every_event_and_the_abstained_ones(views: dict, tagged: pd.DataFrame,
                                                           instances: pd.DataFrame) -> None:
    summary = views["summary"]
    assert summary["events"] == len(tagged) == 6660
    assert summary["cases"] == tagged[CASE].nunique() == 1487
    assert summary["step_instances"] == len(instances)
    assert summary["abstained_events"] == int((tagged[STEP] == "Unclassified").sum()) > 0


def test_nodes_match_pandas(views: dict, tagged: pd.DataFrame,
                            instances: pd.DataFrame) -> None:
    nodes = {n["step"]: n for n in views["process_map"]["nodes"]}
    assert set(nodes) == set(tagged[STEP])  # Unclassified is a node, not dropped
    assert nodes["Unclassified"]["abstained"] and not nodes["Accepted"]["abstained"]
    firsts = instances.groupby("case").head(1)["step"].value_counts()
    lasts = instances.groupby("case").tail(1)["step"].value_counts()
    for step, node in nodes.items():
        assert node["events"] == (tagged[STEP] == step).sum()
        assert node["instances"] == (instances["step"] == step).sum()
        assert node["cases"] == instances.loc[instances["step"] == step, "case"].nunique()
        assert node["starts"] == firsts.get(step, 0) and node["ends"] == lasts.get(step, 0)


def test_edges_match_pandas(views: dict, instances: pd.DataFrame) -> None:
    nxt = instances.groupby("case").shift(-1)
    pairs = instances.assign(target=nxt["step"], wait=(nxt["start"] - instances["end"])
                             .dt.total_seconds()).dropna(subset=["target"])
    expected = pairs.groupby(["step", "target"])["wait"].agg(["size", "median"])
    edges = {(e["source"], e["target"]): e for e in views["process_map"]["edges"]}
    assert len(edges) == len(expected)
    for (source, target), row in expected.iterrows():
        edge = edges[(source, target)]
        assert edge["count"] == row["size"]
        assert edge["median_seconds"] == pytest.approx(row["median"], abs=1e-3)
    counts = [e["count"] for e in views["process_map"]["edges"]]
    assert counts == sorted(counts, reverse=True)


def test_variants_match_pandas(views: dict, instances: pd.DataFrame) -> None:
    per_case = instances.groupby("case").agg(
        variant=("step", tuple), duration=("end", "max"), start=("start", "min"))
    per_case["seconds"] = (per_case["duration"] - per_case["start"]).dt.total_seconds()
    expected = per_case.groupby("variant")["seconds"].agg(["size", "median"])
    got = views["variants"]
    assert got["total"] == len(expected) and got["cases"] == 1487 and got["shown"] == 10
    for variant in got["variants"]:
        row = expected.loc[[tuple(variant["steps"])]].iloc[0]
        assert variant["cases"] == row["size"]
        assert variant["median_case_seconds"] == pytest.approx(row["median"], abs=1e-3)
    assert [v["cases"] for v in got["variants"]] == sorted(expected["size"], reverse=True)[:10]


def test_step_durations_and_timeline_match_pandas(views: dict,
                                                  instances: pd.DataFrame) -> None:
    seconds = (instances["end"] - instances["start"]).dt.total_seconds()
    expected = seconds.groupby(instances["step"]).median()
    for row in views["step_durations"]:
        assert row["median_seconds"] == pytest.approx(expected[row["step"]], abs=1e-3)
        assert row["instances"] == (instances["step"] == row["step"]).sum()
    case = instances[instances["case"] == "1-109135791"]
    timeline = views["timeline"]
    assert timeline["case"] == "1-109135791" and timeline["events"] == case["events"].sum()
    assert [s["step"] for s in timeline["steps"]] == case["step"].tolist()
    assert timeline["steps"][0]["start"].startswith("2006-01-11T15:49:42")


def test_dfg_and_variants_equal_pm4py_on_the_same_instances(views: dict,
                                                            instances: pd.DataFrame) -> None:
    pm4py = pytest.importorskip("pm4py")
    log = instances.rename(columns={"case": "case:concept:name", "step": "concept:name",
                                    "start": "time:timestamp"})
    log = log.assign(order=range(len(log)))
    dfg, starts, ends = pm4py.discover_dfg(log)
    edges = {(e["source"], e["target"]): e["count"] for e in views["process_map"]["edges"]}
    assert edges == dict(dfg)
    nodes = {n["step"]: n for n in views["process_map"]["nodes"]}
    assert {s: n["starts"] for s, n in nodes.items() if n["starts"]} == dict(starts)
    assert {s: n["ends"] for s, n in nodes.items() if n["ends"]} == dict(ends)
    pm_variants = pm4py.get_variants(log)
    top = views["variants"]["variants"][0]
    assert pm_variants[tuple(top["steps"])] == top["cases"]


def test_unknown_case_warns_and_missing_columns_are_named(tagged: pd.DataFrame) -> None:
    views = process_views(tagged.head(50), COLS, case="no-such-case")
    assert views["timeline"] is None and "no-such-case" in views["warnings"][0]
    with pytest.raises(BadInputError, match="'step_name'"):
        process_views(tagged.drop(columns=[STEP]), COLS)
    blank = tagged.head(5).assign(**{CASE: ["a", "", "b", "b", "c"]})
    with pytest.raises(BadInputError, match="case id"):
        process_views(blank, COLS)
