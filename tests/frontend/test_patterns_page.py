"""The Patterns page through `AppTest` against a real API (issue 26): live patterns with
their answers, a routine-to-routine relabel by the admin that changes the next answer for
that template, and an uploaded file's own patterns with nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from backend.core.config import PROJECT_ROOT
from tests.utils.processes import api_server

PAGE = str(PROJECT_ROOT / "frontend" / "views" / "patterns.py")
ADMIN_TOKEN = "ui-patterns-admin-token-0123456789"
SOURCE = "UiPatterns"
LOGINS = [f"User User{n} logged in." for n in range(1, 9)]


@pytest.fixture(scope="module")
def patterns_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp: Path = tmp_path_factory.mktemp("patterns-api")
    env = {"API_TOKEN": ADMIN_TOKEN, "PATTERNS_FLUSH_S": "0", "BASELINE_RECORDS": "4"}
    with api_server(tmp, env=env) as url:
        yield url


def _classify(url: str, lines: list[str]) -> list[dict[str, object]]:
    r = httpx.post(f"{url}/v1/logs/classify", timeout=60, json={"logs": [
        {"source": SOURCE, "log_message": m} for m in lines]})
    assert r.status_code == 200, r.text
    return list(r.json()["predictions"])


@pytest.fixture
def as_admin(patterns_api: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SIFT_API_URL", patterns_api)
    monkeypatch.setenv("SIFT_API_TOKEN", ADMIN_TOKEN)
    monkeypatch.delenv("SIFT_WRITER_TOKEN", raising=False)
    return patterns_api


def test_admin_relabels_a_routine_pattern_and_the_next_answer_changes(as_admin: str) -> None:
    before = _classify(as_admin, LOGINS)
    assert {p["label"] for p in before} == {"User Action"}
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    row = table[table["source"] == SOURCE].iloc[0]
    assert (row["template"], row["count"], row["label"]) == (
        "user <user> logged in.", len(LOGINS), "User Action")
    assert row["example"] == "User <user> logged in."
    shown = list(table["template"])
    at.selectbox(key="patterns_pick").set_value(shown.index("user <user> logged in.")).run()
    at.selectbox(key="patterns_label_new").set_value("System Notification").run()
    at.button(key="patterns_relabel").click().run()
    assert not at.exception
    assert "saved for the pattern" in at.success[0].value
    after = _classify(as_admin, ["User User4242 logged in."])
    assert (after[0]["label"], after[0]["tier"]) == ("System Notification", "feedback")


def test_an_uploaded_file_gets_its_own_patterns(as_admin: str) -> None:
    body = "source,log_message\n" + "".join(
        f"Upload,Disk {n} failed on node {n}\n" for n in range(5)) + "Upload,Backup done.\n"
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="patterns_mode").set_value("An uploaded file").run()
    assert "Upload a CSV" in at.info[0].value
    # AppTest has no file upload: the page's client call, as the uploader would make it
    from frontend.api_client import ApiClient

    answer = ApiClient(as_admin, token=ADMIN_TOKEN).file_patterns(body.encode(), "u.csv")
    counts = {p["template"]: p["count"] for p in answer["patterns"]}
    assert counts == {"disk <var> failed on node <var>": 5, "backup done.": 1}
    live = httpx.get(f"{as_admin}/v1/logs/patterns", params={"source": "Upload"}).json()
    assert live["patterns"] == []  # nothing stored
