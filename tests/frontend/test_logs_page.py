"""The Logs page through `AppTest` against a real API: upload, classify, explore, errors."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from backend.core.config import PROJECT_ROOT

LOGS_PAGE = str(PROJECT_ROOT / "frontend" / "views" / "logs.py")


def open_page() -> AppTest:
    return AppTest.from_file(LOGS_PAGE, default_timeout=120).run()


def upload(at: AppTest, data: bytes, name: str = "logs.csv") -> AppTest:
    return at.file_uploader(key="logs_upload").set_value((name, data, "text/csv")).run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def results_table(at: AppTest) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if "target_label" in d.value.columns]
    assert frames, "no results table"
    return frames[0]


def test_page_without_input_explains_what_to_do(live_api: str) -> None:
    at = open_page()
    assert not at.exception
    assert "Upload a CSV with columns `source, log_message`" in at.info[0].value


def test_upload_classify_shows_labels_coverage_and_download(live_api: str,
                                                            small_logs_csv: bytes) -> None:
    at = upload(open_page(), small_logs_csv)
    assert at.dataframe[0].value.shape == (8, 3)  # preview, extra column kept
    at.button(key="logs_classify").click().run()
    assert not at.exception and not at.error
    shown = results_table(at)
    assert shown["source"].tolist()[:2] == ["ModernCRM", "BillingSystem"]
    assert shown.loc[0, "target_label"] == "User Action" and shown.loc[0, "tier"] == "rules"
    assert shown.loc[5, "target_label"] == "Unclassified"  # empty message, still a row
    assert shown["ticket"].tolist() == [f"T-{i}" for i in range(1, 9)]
    result = at.session_state["logs_result"]["frame"]
    labelled = int((result["target_label"] != "Unclassified").sum())
    shown_metrics = metrics(at)
    assert shown_metrics["Rows"] == "8"
    assert shown_metrics["Labelled"] == str(labelled)
    assert shown_metrics["Coverage"] == f"{labelled / 8:.1%}"
    assert shown_metrics["Coverage at this threshold"] == f"{labelled / 8:.1%}"
    assert at.download_button(key="logs_download").label == "Download labelled CSV"


def what_if(at: AppTest, key: str = "logs") -> str:
    """The key of the what-if slider (one per job, so a new result starts at its own
    served threshold)."""
    return f"{key}_threshold_{at.session_state[f'{key}_result']['job'][:8]}"


def test_filters_and_threshold_slider_need_no_api(live_api: str, small_logs_csv: bytes,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    at = upload(open_page(), small_logs_csv)
    at.button(key="logs_classify").click().run()
    result = at.session_state["logs_result"]
    curve = {p["threshold"]: p["coverage"] for p in result["curve"]}
    assert curve[result["threshold"]] == result["summary"]["coverage"]  # the served point
    assert metrics(at)["Coverage at this threshold"] == f"{result['summary']['coverage']:.1%}"
    monkeypatch.setenv("SIFT_API_URL", "http://127.0.0.1:9")  # nothing from here on hits it
    at.checkbox(key="logs_filter_unclassified").check().run()
    only = results_table(at)
    assert len(only) >= 1 and set(only["target_label"]) == {"Unclassified"}
    at.checkbox(key="logs_filter_unclassified").uncheck().run()
    at.multiselect(key="logs_filter_tier").select("rules").run()
    assert set(results_table(at)["tier"]) == {"rules"}
    at.select_slider(key=what_if(at)).set_value(1.0).run()
    assert not at.error
    assert metrics(at)["Coverage at this threshold"] == f"{curve[1.0]:.1%}"
    frame = result["frame"]
    fixed = ((frame["target_label"] != "Unclassified") & (frame["tier"] != "model")).mean()
    assert curve[1.0] == pytest.approx(round(fixed + ((frame["tier"] == "model")
                                                      & (frame["confidence"] >= 1.0)).mean(), 4))


def test_pasted_lines_keep_order(live_api: str) -> None:
    lines = ["ModernCRM,User User1 logged in.", "Disk quota exceeded on volume 3",
             "ModernCRM,User User2 logged out.", "BillingSystem,Payment failed with code 500",
             "ModernCRM,User User3 logged in."]
    at = open_page()
    at.text_area(key="logs_paste").input("\n".join(lines)).run()
    at.button(key="logs_classify").click().run()
    assert not at.exception and not at.error
    shown = results_table(at)
    assert shown["source"].tolist() == ["ModernCRM", "ModernCRM", "ModernCRM", "BillingSystem",
                                        "ModernCRM"]
    assert shown.loc[1, "log_message"] == "Disk quota exceeded on volume 3"


def test_bad_file_is_a_readable_error(live_api: str) -> None:
    at = upload(open_page(), b"source,message\nA,b\n")
    assert not at.exception
    assert "Missing required column(s): 'log_message'" in at.error[0].value
    assert not at.button  # nothing to classify


def test_api_down_on_classify_is_a_readable_error(dead_api: str, small_logs_csv: bytes) -> None:
    at = upload(open_page(), small_logs_csv)
    at.button(key="logs_classify").click().run()
    assert not at.exception
    assert "is not reachable" in at.error[0].value and "make run" in at.error[0].value
    assert "logs_result" not in at.session_state


def test_50k_rows_render_paginated_and_fast(dead_api: str) -> None:
    """A 50,000-row result re-renders in seconds and shows one page of rows."""
    n = 50_000
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"source": rng.choice(["A", "B", "C"], n),
                          "log_message": [f"event {i} on node {i % 97}" for i in range(n)]})
    data = frame.to_csv(index=False).encode()
    at = open_page()
    start = time.perf_counter()
    upload(at, data)
    read_s = time.perf_counter() - start
    labels = rng.choice(["Error", "HTTP Status", "Unclassified"], n)
    result = frame.assign(target_label=labels, confidence=rng.random(n).round(4),
                          tier=rng.choice(["model", "rules"], n), model_version="v1", reason="")
    labelled = int((labels != "Unclassified").sum())
    summary = {"rows_in": n, "classified": labelled, "abstained": n - labelled, "refused": 0,
               "coverage": labelled / n, "mean_confidence": 0.5,
               "by_label": dict(pd.Series(labels).value_counts()), "by_tier": {}}
    curve = [{"threshold": t, "coverage": labelled / n, "labelled": labelled,
              "accuracy": None} for t in (0.0, 0.5, 1.0)]
    columns = {c: c for c in ("target_label", "confidence", "tier", "model_version",
                              "reason", "stage")}
    input_id = hashlib.sha1(b"logs.csv\n\n\n" + data).hexdigest()  # name and no options
    at.session_state["logs_result"] = {"id": input_id, "frame": result,
                                       "threshold": 0.5, "model_version": "v1", "warnings": [],
                                       "summary": summary, "curve": curve, "job": "0" * 32,
                                       "columns": columns, "csv": data, "agreement": None}
    start = time.perf_counter()
    at.run()
    render_s = time.perf_counter() - start
    assert not at.exception
    assert metrics(at)["Rows"] == "50,000"
    assert len(results_table(at)) == 100
    assert "page 1 of 500" in " ".join(c.value for c in at.caption)
    start = time.perf_counter()
    at.number_input(key="logs_page").set_value(500).run()
    page_s = time.perf_counter() - start  # the export is cached: a rerun redraws one page
    assert results_table(at).index[-1] == n - 1
    assert read_s < 20 and render_s < 20 and page_s < 5, (read_s, render_s, page_s)


def test_row_feedback_is_stored(live_api: str, small_logs_csv: bytes) -> None:
    at = upload(open_page(), small_logs_csv)
    at.button(key="logs_classify").click().run()
    at.number_input(key="logs_fb_row").set_value(7).run()
    assert "Payment service crashed" in " ".join(c.value for c in at.caption)
    at.selectbox(key="logs_fb_choice").select("Error").run()
    at.button(key="logs_fb_correct").click().run()
    assert not at.error
    assert "saved for row 7 (correct: Error)" in at.success[-1].value


def test_raw_log_upload_is_parsed_by_the_server(live_api: str) -> None:
    """A .log file with stack traces: the format box, one row per record, parsed fields."""
    data = (PROJECT_ROOT / "tests" / "data" / "rawlogs" / "java_stacktrace.log").read_bytes()
    at = open_page()
    at.text_input(key="logs_format").set_value("auto").run()
    at = at.file_uploader(key="logs_upload").set_value(("app.log", data, "text/plain")).run()
    assert not at.exception
    at.button(key="logs_classify").click().run()
    assert not at.exception and not at.error
    shown = results_table(at)
    assert len(shown) == 9
    assert shown["Level"].tolist()[:3] == ["INFO", "INFO", "ERROR"]
    assert shown["line_count"].tolist()[2] == "10" and shown["source"].iloc[0] == "app"
    assert any("auto: chose log4j" in w.value for w in at.warning)
    assert any("format log4j: 9 records from 26 lines" in w.value for w in at.warning)
