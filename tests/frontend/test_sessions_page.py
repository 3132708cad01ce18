"""The Sessions page through `AppTest` against a real API with a step tagger."""

from __future__ import annotations

import gzip

import pandas as pd
from streamlit.testing.v1 import AppTest

from backend.core.config import PROJECT_ROOT
from tests.frontend.test_logs_page import what_if
from tests.utils.data import shared_file
from tests.utils.xes import frame_to_xes

SESSIONS_PAGE = str(PROJECT_ROOT / "frontend" / "views" / "sessions.py")
DATA = PROJECT_ROOT / "tests" / "frontend" / "data" / "sessions_small.csv"


def tag(data: bytes, name: str = "events.csv", model: str | None = None) -> AppTest:
    at = AppTest.from_file(SESSIONS_PAGE, default_timeout=120).run()
    if model:
        at.selectbox(key="sessions_model").set_value(model).run()
    kind = "text/csv" if name.endswith(".csv") else "application/octet-stream"
    at.file_uploader(key="sessions_upload").set_value((name, data, kind)).run()
    if at.button:
        at.button(key="sessions_classify").click().run()
    return at


def results(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "predicted_step" in d.value.columns)


def test_tagging_job_keeps_input_order_and_the_apis_curve(live_api: str) -> None:
    events = pd.read_csv(DATA, dtype=str, keep_default_na=False)
    at = tag(DATA.read_bytes())
    assert not at.exception and not at.error
    shown = results(at)
    assert shown["session_id"].tolist()[:100] == events["session_id"].tolist()[:100]
    assert shown["timestamp"].tolist()[:100] == events["timestamp"].tolist()[:100]
    assert shown["step_name"].tolist()[:100] == events["step_name"].tolist()[:100]  # kept
    full = at.session_state["sessions_result"]["frame"]
    assert len(full) == len(events)
    abstained = full["abstained"].eq("True")
    assert ((full["sift_step_name"] == "Unclassified") == abstained).all()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Coverage"] == f"{1 - abstained.mean():.1%}"
    assert metrics["Coverage at this threshold"] == metrics["Coverage"]
    at.select_slider(key=what_if(at, "sessions")).set_value(0.0).run()
    assert {m.label: m.value for m in at.metric}["Coverage at this threshold"] == "100.0%"


def test_what_if_after_switching_step_model_starts_at_the_real_coverage(live_api: str
                                                                         ) -> None:
    """The known bug: after switching step model the what-if read 100% at the server
    threshold while the real coverage was 88.9%. The slider now reads the API's curve of
    the job it shows, whose served threshold is one of its points."""
    at = tag(DATA.read_bytes())
    first = {m.label: m.value for m in at.metric}
    assert first["Coverage at this threshold"] == first["Coverage"]
    at.selectbox(key="sessions_model").set_value("bpi-2013").run()
    upload = bpi_log(40).drop(columns=["concept:name"]).to_csv(index=False).encode()
    at.file_uploader(key="sessions_upload").set_value(("bpi.csv", upload, "text/csv")).run()
    at.button(key="sessions_classify").click().run()
    assert not at.exception and not at.error
    result = at.session_state["sessions_result"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Coverage"] == f"{result['summary']['coverage']:.1%}"
    assert metrics["Coverage at this threshold"] == metrics["Coverage"]
    assert at.select_slider(key=what_if(at, "sessions")).value == result["threshold"]


def test_missing_model_column_is_the_apis_message(live_api: str) -> None:
    events = pd.read_csv(DATA, dtype=str, keep_default_na=False).drop(columns=["event_name"])
    at = tag(events.to_csv(index=False).encode())
    assert not at.exception
    assert "(422)" in at.error[0].value and "event_name" in at.error[0].value


def test_missing_session_column_is_caught_before_sending(live_api: str) -> None:
    at = tag(b"case,timestamp,event_name\nA,2026-01-01T00:00:00Z,open\n")
    assert not at.exception
    assert "Missing required column(s): 'session_id'" in at.error[0].value


def test_api_down(dead_api: str) -> None:
    at = AppTest.from_file(SESSIONS_PAGE, default_timeout=120).run()
    assert not at.exception
    assert "is not reachable" in at.error[0].value


def test_picks_a_step_model_and_shows_the_columns_it_needs(live_api: str) -> None:
    at = AppTest.from_file(SESSIONS_PAGE, default_timeout=120).run()
    assert not at.exception
    box = at.selectbox(key="sessions_model")
    assert box.value == "step-tagger" and "bpi-2013" in box.options  # server default first
    notes = " ".join(m.value for m in at.sidebar.markdown)
    assert "`session_id`, `timestamp`, `event_name`" in notes and "`window_title`" in notes
    box.set_value("bpi-2013").run()
    notes = " ".join(m.value for m in at.sidebar.markdown)
    assert "`case:concept:name`, `time:timestamp`, `org:resource`" in notes
    assert "`org:group`, `impact`" in notes
    log = pd.read_csv(shared_file("eventlogs/BPI2013_closed.csv"), dtype=str).head(40)
    upload = log.drop(columns=["concept:name"]).to_csv(index=False).encode()
    at.file_uploader(key="sessions_upload").set_value(("bpi.csv", upload, "text/csv")).run()
    at.button(key="sessions_classify").click().run()
    assert not at.exception and not at.error
    full = at.session_state["sessions_result"]["frame"]
    assert len(full) == 40
    assert set(full["predicted_step"]) <= {"Accepted", "Completed", "Queued", "Unmatched"}


def bpi_log(events: int) -> pd.DataFrame:
    """The first events of the real BPI 2013 log, as a process-mining tool has them."""
    return pd.read_csv(shared_file("eventlogs/BPI2013_closed.csv"), dtype=str).head(events)


def test_xes_log_is_tagged_by_the_api_like_the_same_csv(live_api: str) -> None:
    events = pd.read_csv(DATA, dtype=str, keep_default_na=False)
    in_log_order = pd.concat(s for _, s in events.groupby("session_id", sort=False))
    at = tag(frame_to_xes(events, case="session_id").encode(), "events.xes")
    assert not at.exception and not at.error
    full = at.session_state["sessions_result"]["frame"]
    assert len(full) == len(events) == 150  # every event sent, in the log's order
    assert full["session_id"].tolist() == in_log_order["session_id"].tolist()
    assert full["timestamp"].tolist() == in_log_order["timestamp"].tolist()
    assert full["step_name"].tolist() == in_log_order["step_name"].tolist()  # the log's own
    steps = full["sift_step_name"]
    assert steps.notna().all() and (steps != "Unclassified").any()
    assert ((steps == "Unclassified") == full["abstained"].eq("True")).all()
    assert full["confidence"].between(0.0, 1.0).all()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows"] == "150"
    assert metrics["Coverage"] == f"{1 - full['abstained'].eq('True').mean():.1%}"
    assert len(results(at)) == 100  # the first page of the tagged events
    assert "150 events in 2 sessions" in [c.value for c in at.caption]
    as_csv = tag(DATA.read_bytes()).session_state["sessions_result"]["frame"]
    assert as_csv.loc[in_log_order.index, "sift_step_name"].tolist() == steps.tolist()


def test_gzipped_xes_from_a_process_mining_tool(live_api: str) -> None:
    log = bpi_log(40)  # concept:name (the activity) included, as exported
    at = tag(gzip.compress(frame_to_xes(log).encode()), "BPI2013.xes.gz", model="bpi-2013")
    assert not at.exception and not at.error
    notes = " ".join(m.value for m in at.sidebar.markdown)
    assert ("trace attribute `concept:name`; event attributes `time:timestamp`, "
            "`org:resource`") in notes
    full = at.session_state["sessions_result"]["frame"]
    assert len(full) == 40
    assert full["case:concept:name"].tolist() == log["case:concept:name"].tolist()
    assert full["concept:name"].tolist() == log["concept:name"].tolist()
    assert set(full["predicted_step"]) <= {"Accepted", "Completed", "Queued", "Unmatched"}
    assert full["step_name"].notna().all() and full["model_version"].eq("v1").all()
    assert {m.label: m.value for m in at.metric}["Rows"] == "40"


def test_xes_without_the_models_columns_is_the_apis_message(live_api: str) -> None:
    at = tag(frame_to_xes(bpi_log(10)).encode(), "bpi.xes")  # the default model: session_id
    assert not at.exception
    message = at.error[0].value
    assert "(422)" in message and "'session_id'" in message and "case:concept:name" in message
    assert "`case:<key>`" in message
    assert "sessions_result" not in at.session_state


def test_process_views_of_a_tagged_bpi_log(live_api: str) -> None:
    """Tag 300 BPI 2013 events with the BPI model: the page shows the API's process map,
    variants, durations, a case timeline and agreement with the log's own activity."""
    log = bpi_log(300)
    at = tag(log.to_csv(index=False).encode(), "bpi.csv", model="bpi-2013")
    assert not at.exception and not at.error
    full = at.session_state["sessions_result"]["frame"]
    (graph,) = at.get("graphviz_chart")
    dot = graph.proto.spec
    for step in full["step_name"].unique():
        assert f'"{step}"' in dot
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cases"] == f"{log['case:concept:name'].nunique():,}"
    variants = next(d.value for d in at.dataframe if "example case" in d.value.columns)
    assert variants["cases"].sum() <= log["case:concept:name"].nunique()
    durations = next(d.value for d in at.dataframe if "median until next" in d.value.columns)
    assert set(durations["step"]) == set(full["step_name"])
    assert at.selectbox(key="views_label").value == "concept:name"  # the model's label column
    accuracy = (full["step_name"] == log["concept:name"]).mean()
    assert metrics["Accuracy"] == f"{accuracy:.1%}"
    assert at.selectbox(key="views_case").value == log["case:concept:name"].iloc[0]
    at.selectbox(key="views_case").set_value(log["case:concept:name"].iloc[40]).run()
    assert not at.exception and not at.error
    assert any(log["case:concept:name"].iloc[40] in c.value for c in at.caption)
    at.button(key="views_xes_export").click().run()
    assert not at.exception and not at.error
    assert at.session_state["views_xes"][1].startswith(b"<?xml")
    wrong = full.index[full["step_name"] != log["concept:name"]]
    assert len(wrong)  # one click teaches the log's label for a disagreeing event
    i = int(wrong[0])
    at.button(key=f"views_teach_{i}").click().run()
    assert not at.exception and not at.error
    saved = [s.value for s in at.success if f"saved for event {i}" in s.value]
    assert saved and f"correct: {log['concept:name'].iloc[i]}" in saved[0]
