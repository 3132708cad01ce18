"""The UI in a real headless Chromium: upload a CSV, see labels and coverage, download.

Starts the API (uvicorn) and the UI (`streamlit run`) as real processes on free ports
and drives Debian's /usr/bin/chromium through Playwright. Screenshots go to
test-artifacts/; with SIFT_UPDATE_SCREENSHOTS=1 they also refresh docs/screenshots/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from backend.core.config import PROJECT_ROOT
from backend.sessions.xes import read_xes
from tests.utils.data import shared_file
from tests.utils.processes import add_eventlog_model, api_server, models_root, ui_server

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
DOC_SHOTS = PROJECT_ROOT / "docs" / "screenshots"
CSV = PROJECT_ROOT / "tests" / "frontend" / "data" / "logs_small.csv"
SESSIONS_CSV = PROJECT_ROOT / "tests" / "frontend" / "data" / "sessions_small.csv"
JAVA_LOG = PROJECT_ROOT / "tests" / "data" / "rawlogs" / "java_stacktrace.log"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-dev-shm-usage"]

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not "
                                 "installed (apt-get install chromium chromium-driver)")]


@pytest.fixture(scope="module")
def ui_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    logs = tmp_path_factory.mktemp("browser")
    root = models_root(logs)
    add_eventlog_model(root, logs)  # the Sessions page offers two step models
    # file jobs in chunks of 500 rows: the progress bars step often enough to be seen moving
    with api_server(logs, root, {"JOB_CHUNK_ROWS": "500"}) as api_url, \
            ui_server(logs, api_url) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with playwright_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 2700}, accept_downloads=True)
        yield context
        context.close()


def shot(page: object, name: str) -> Path:
    """Save a full-page screenshot to test-artifacts/ (and docs/ when asked)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    if os.environ.get("SIFT_UPDATE_SCREENSHOTS") == "1":
        DOC_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOC_SHOTS / path.name)
    return path


def test_upload_classify_see_coverage_and_download(ui_url: str, browser: object,
                                                   tmp_path: Path) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(120_000)
    page.goto(ui_url)
    page.get_by_role("heading", name="Logs", exact=True).wait_for()
    page.locator("input[type=file]").set_input_files(str(CSV))
    page.get_by_text("8 rows, columns: source, log_message, ticket").wait_for()
    page.get_by_role("button", name="Classify").click()
    coverage = page.locator("[data-testid=stMetric]", has_text="Coverage").first
    coverage.wait_for()
    page.get_by_text("User Action").first.wait_for(state="attached")  # canvas grid: a11y cell
    assert "%" in coverage.inner_text()

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download labelled CSV").click()
    target = tmp_path / "classified.csv"
    download_info.value.save_as(str(target))
    result = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert len(result) == 8
    assert list(result.columns[:3]) == ["source", "log_message", "ticket"]
    assert result.loc[0, "target_label"] == "User Action"
    assert result.loc[4, "log_message"].startswith("'=HYPERLINK")  # formula neutralised

    # the download click reruns the page: for a moment the old and the new heading are both
    # in the DOM (strict mode refused the bare locator once in CI), so wait for the newest
    page.get_by_text("Coverage vs threshold").last.wait_for()
    page.locator("[data-testid=stVegaLiteChart]").nth(2).wait_for()  # labels, tiers, curve
    page.wait_for_timeout(1500)  # let the charts finish drawing
    assert shot(page, "logs").stat().st_size > 10_000
    page.close()


@pytest.mark.parametrize(("link", "heading", "name"), [
    ("Models", "Models", "models"), ("About / API", "About / API", "about")])
def test_every_page_renders(ui_url: str, browser: object, link: str, heading: str,
                            name: str) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(120_000)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(ui_url)
    page.get_by_role("heading", name="Logs", exact=True).wait_for()  # first run is done
    page.locator("[data-testid=stSidebarNav]").get_by_text(link, exact=True).click()
    page.get_by_role("heading", name=heading, exact=True).wait_for()
    page.wait_for_timeout(1000)
    assert page.locator("[data-testid=stException]").count() == 0
    shot(page, name)
    page.close()


def test_sessions_tagging(ui_url: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(120_000)
    page.set_viewport_size({"width": 1400, "height": 2400})
    page.goto(f"{ui_url}/sessions")
    page.get_by_role("heading", name="Sessions", exact=True).wait_for()
    page.get_by_text("CSV with session_id, timestamp, event_name").wait_for()
    page.locator("input[type=file]").set_input_files(str(SESSIONS_CSV))
    page.get_by_text("150 events in 2 sessions").wait_for()
    page.get_by_role("button", name="Tag steps").click()
    page.locator("[data-testid=stMetric]", has_text="Coverage").first.wait_for()
    page.locator("[data-testid=stVegaLiteChart]").nth(2).wait_for()
    page.wait_for_timeout(1500)
    assert page.locator("[data-testid=stException]").count() == 0
    shot(page, "sessions")
    page.close()


def test_sessions_page_picks_a_step_model_and_shows_its_columns(ui_url: str, browser: object,
                                                                tmp_path: Path) -> None:
    log = pd.read_csv(shared_file("eventlogs/BPI2013_closed.csv"), dtype=str).head(40)
    upload = tmp_path / "bpi.csv"
    log.drop(columns=["concept:name"]).to_csv(upload, index=False)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(120_000)
    page.goto(f"{ui_url}/sessions")
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_text("window_title").first.wait_for()  # the default model's columns
    sidebar.locator("[data-testid=stSelectbox]").click()
    page.get_by_role("option", name="bpi-2013").click()
    sidebar.get_by_text("case:concept:name").first.wait_for()
    assert sidebar.get_by_text("window_title").count() == 0
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_text("40 events in").wait_for()
    page.get_by_role("button", name="Tag steps").click()
    page.locator("[data-testid=stMetric]", has_text="Coverage").first.wait_for()
    page.wait_for_timeout(1000)
    assert page.locator("[data-testid=stException]").count() == 0
    shot(page, "sessions_model")
    page.close()


def test_sessions_process_views_of_bpi2013_and_xes_download(ui_url: str, browser: object,
                                                              tmp_path: Path) -> None:
    """The whole real BPI 2013 log tagged in the UI by the BPI model: the process map (an
    SVG drawn in the page), the variants and agreement with the log's own activity, then
    the tagged log downloaded as XES with every event (issue 27)."""
    log = pd.read_csv(shared_file("eventlogs/BPI2013_closed.csv"), dtype=str)
    upload = tmp_path / "BPI2013_closed.csv"
    log.to_csv(upload, index=False)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(180_000)
    page.set_viewport_size({"width": 1400, "height": 3000})
    page.goto(f"{ui_url}/sessions")
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_text("window_title").first.wait_for()
    sidebar.locator("[data-testid=stSelectbox]").click()
    page.get_by_role("option", name="bpi-2013").click()
    sidebar.get_by_text("case:concept:name").first.wait_for()
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_text("6,660 events in 1,487 sessions").wait_for()
    page.get_by_role("button", name="Tag steps").click()
    page.get_by_role("heading", name="Process views").wait_for()
    page.locator("[data-testid=stGraphVizChart] svg").first.wait_for()
    assert page.locator("[data-testid=stGraphVizChart] svg g.node").count() >= 4
    page.get_by_role("heading", name="Variants").wait_for()
    page.get_by_text("variants (orders of steps) over 1,487 cases").wait_for()
    page.get_by_role("heading", name=re.compile(r"^Agreement with")).wait_for()
    page.locator("[data-testid=stMetric]", has_text="Macro-F1").wait_for()
    page.get_by_role("button", name="Export XES").click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download XES").click()
    target = tmp_path / "tagged.xes"
    download_info.value.save_as(str(target))
    back = read_xes(target.read_bytes())
    assert len(back) == 6660 and back["case:concept:name"].nunique() == 1487
    assert set(back["original:concept:name"]) == set(log["concept:name"])
    page.get_by_role("heading", name="Case timeline").wait_for()
    page.get_by_role("heading", name="Process views").evaluate("h => h.scrollIntoView()")
    page.wait_for_timeout(1500)  # let the charts finish drawing
    assert page.locator("[data-testid=stException]").count() == 0
    shot(page, "sessions_process_views")
    page.close()


def test_task_suggestion_and_feedback(ui_url: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(120_000)
    page.set_viewport_size({"width": 1400, "height": 1200})
    page.goto(f"{ui_url}/tasks")
    page.get_by_label("Title").fill("Fix crash in the login form when the session expires")
    page.get_by_label("Description (optional)").fill("Users get a 500 error after a timeout.")
    page.get_by_role("button", name="Suggest category").click()
    page.locator("[data-testid=stMetric]", has_text="Confidence").wait_for()
    page.get_by_role("button", name="Yes, correct").click()
    page.get_by_text("saved (accept)").wait_for()
    page.wait_for_timeout(1000)
    confidence = page.locator("[data-testid=stMetric]", has_text="Confidence").inner_text()
    assert re.search(r"\d+%", confidence), confidence
    assert page.get_by_text("saved (accept)").count() >= 1
    assert page.locator("[data-testid=stException]").count() == 0
    shot(page, "tasks")
    page.close()


def test_50k_rows_show_progress_and_paginate(ui_url: str, browser: object,
                                             tmp_path: Path) -> None:
    """50,000 rows (repeated lines, so the API answers fast): the job's progress moves chunk
    by chunk, the table shows one page, and paging stays quick."""
    rows = pd.read_csv(CSV, dtype=str, keep_default_na=False)
    big = pd.concat([rows] * 6250, ignore_index=True)
    path = tmp_path / "logs50k.csv"
    big.to_csv(path, index=False)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(300_000)
    page.goto(ui_url)
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_text("50,000 rows, columns: source, log_message, ticket").wait_for()
    start = time.perf_counter()
    page.get_by_role("button", name="Classify").click()
    bar, done = page.locator("[data-testid=stProgress]"), page.get_by_text(
        "50,000 of 50,000 rows match - page 1 of 500")
    seen: list[str] = []
    while not done.count() and time.perf_counter() - start < 300:
        # all_inner_texts does not wait: the bar can vanish between a count and a read,
        # and inner_text would then wait out the page's 300 s timeout (a CI run did)
        for text in bar.all_inner_texts():
            if text and text not in seen:
                seen.append(text)
        page.wait_for_timeout(50)
    done.wait_for()
    classify_s = time.perf_counter() - start
    moving = [t for t in seen if re.search(r"[1-9][\d,]* (/ 50,000 rows|rows read)", t)]
    assert moving, seen  # the job's rows, read or classified, before the table
    midway = moving[-1]
    start = time.perf_counter()
    pager = page.get_by_role("spinbutton", name="Page", exact=True)
    pager.fill("500")
    pager.press("Enter")
    page.get_by_text("page 500 of 500").wait_for()
    paging_s = time.perf_counter() - start
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "ui-50k.json").write_text(json.dumps(
        {"rows": 50_000, "classify_s": round(classify_s, 1), "page_change_s":
         round(paging_s, 2), "progress_seen": midway}))
    assert paging_s < 30
    page.close()


def test_raw_log_upload_with_a_format(ui_url: str, browser: object, tmp_path: Path) -> None:
    """A raw .log with Java stack traces: the format box, parsed fields and labels (issue 18)."""
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(120_000)
    page.goto(ui_url)
    page.get_by_role("heading", name="Logs", exact=True).wait_for()
    # the file first, then the format: a file handed to the uploader while the rerun that
    # the format box started is still drawing the page can be lost (a CI run waited 120 s)
    page.locator("input[type=file]").set_input_files(str(JAVA_LOG))
    page.get_by_text("The first lines of the raw log").wait_for()
    box = page.get_by_role("textbox", name="Log format (raw .log files)")
    box.fill("log4j")
    box.press("Enter")
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for()
    page.get_by_text("The first lines of the raw log").wait_for()
    page.get_by_role("button", name="Classify").click()
    page.get_by_text("format log4j: 9 records from 26 lines (17 joined").wait_for()
    page.locator("[data-testid=stMetric]", has_text="Coverage").first.wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download labelled CSV").click()
    target = tmp_path / "classified.csv"
    download_info.value.save_as(str(target))
    result = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert len(result) == 9  # one row per record, stack traces joined
    assert {"line", "line_count", "Thread", "Level", "Logger", "Content",
            "target_label", "stage"} <= set(result.columns)  # the API's CSV, as it wrote it
    assert result["Level"].tolist()[:3] == ["INFO", "INFO", "ERROR"]
    assert (result["target_label"] != "").all()
    assert page.locator("[data-testid=stException]").count() == 0
    shot(page, "logs-raw")
    page.close()


@pytest.fixture(scope="module")
def fine_ui_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The UI over an API whose file jobs step every 100 rows (the least JOB_CHUNK_ROWS
    allows): a 4,000-row job then has 40 steps, so the page's polls (every 0.25 s) see
    the bar at several of them even when the classifier is fast; in chunks of 500 a fast
    job could pass all 8 steps between two polls."""
    logs = tmp_path_factory.mktemp("browser-fine")
    root = models_root(logs)
    with api_server(logs, root, {"JOB_CHUNK_ROWS": "100"}) as api_url, \
            ui_server(logs, api_url) as url:
        yield url


def test_raw_log_upload_shows_a_moving_progress_bar(fine_ui_url: str, browser: object) -> None:
    """A raw .log of 40,000 real Loghub syslog lines (Linux, OpenSSH, ten times over) uploaded
    once: the page polls the API's job and its progress bar moves through the rows before the
    results (4,000 lines finished between two looks on a quiet CI machine)."""
    ui_url = fine_ui_url
    text = "".join(shared_file(f"loghub/{name}_2k.log").read_text(encoding="utf-8")
                   for name in ("Linux", "OpenSSH")) * 10
    path = ARTIFACTS / "syslog_40k.log"
    ARTIFACTS.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(300_000)
    page.goto(ui_url)
    page.get_by_role("heading", name="Logs", exact=True).wait_for()
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_text("The first lines of the raw log").wait_for()
    page.get_by_role("button", name="Classify").click()
    bar = page.locator("[data-testid=stProgress]")
    seen: list[str] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if bar.count():
            try:  # the bar may go between the count and the read: look again next time
                text_now = bar.first.inner_text(timeout=1_000)
            except Exception:  # noqa: BLE001 - playwright's TimeoutError
                text_now = ""
            if text_now and (not seen or seen[-1] != text_now):
                seen.append(text_now)
        if page.locator("[data-testid=stMetric]", has_text="Coverage").count():
            break
        page.wait_for_timeout(100)
    read = [int(m.group(1).replace(",", "")) for t in seen
            if (m := re.search(r"Reading the file syslog_40k.log: ([\d,]+) rows read", t))]
    steps = [(int(m.group(1).replace(",", "")), m.group(2)) for t in seen
             if (m := re.search(r"Classifying syslog_40k.log: ([\d,]+) / ([\d,]+) rows", t))]
    moves = read + [n for n, _ in steps]  # the bar reads the file, then classifies it
    assert len(moves) >= 2 and read == sorted(read) and steps, seen
    assert [n for n, _ in steps] == sorted(n for n, _ in steps), seen
    total = steps[0][1]  # records: a line that does not start one joins the one before
    assert {t for _, t in steps} == {total} and 39_000 <= int(total.replace(",", "")) <= 40_000
    page.get_by_text(f"{total} of {total} rows match").wait_for()
    assert page.locator("[data-testid=stException]").count() == 0
    shot(page, "logs-raw-progress")
    page.close()
