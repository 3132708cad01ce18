"""The Tasks page through `AppTest` against a real API: categorise, feedback, errors."""

from __future__ import annotations

import httpx
from streamlit.testing.v1 import AppTest

from backend.core.config import PROJECT_ROOT

TASKS_PAGE = str(PROJECT_ROOT / "frontend" / "views" / "tasks.py")
TITLE = "Fix crash in the login form when the session expires"


def categorize(title: str, description: str = "") -> AppTest:
    at = AppTest.from_file(TASKS_PAGE, default_timeout=120).run()
    at.text_input(key="tasks_title").input(title)
    at.text_area(key="tasks_description").input(description)
    return at.button(key="tasks_submit").click().run()


def test_categorize_shows_category_and_suggestions(live_api: str) -> None:
    at = categorize(TITLE, "Users get a 500 error after the timeout.")
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    suggestions = at.dataframe[0].value
    assert metrics["Category"] == suggestions.loc[0, "category"]
    assert metrics["Confidence"] == f"{suggestions.loc[0, 'confidence']:.0%}"
    assert suggestions["confidence"].is_monotonic_decreasing
    answer = httpx.post(f"{live_api}/v1/tasks/categorize", timeout=60, json={
        "title": TITLE, "description": "Users get a 500 error after the timeout."}).json()
    assert answer["category"] == metrics["Category"]
    if answer["auto_selected"]:  # the page says exactly what the API decided
        assert "apply automatically" in at.success[0].value and not at.info
    else:
        assert "pick one of the suggestions" in at.info[0].value and not at.success


def test_feedback_accept_and_correction_are_stored(live_api: str) -> None:
    at = categorize(TITLE)
    at.button(key="tasks_feedback_accept").click().run()
    assert not at.error
    assert "saved (accept)" in at.success[-1].value
    at.selectbox(key="tasks_feedback_choice").select("Other...").run()
    at.text_input(key="tasks_feedback_other").input("Firefighting").run()
    at.button(key="tasks_feedback_correct").click().run()
    assert not at.error
    # a new category waits for an admin: the UI says so (issue 24)
    assert "saved (correct: Firefighting): held for approval" in at.warning[-1].value
    assert "new category" in " ".join(c.value for c in at.caption)


def test_empty_title_asks_for_one(live_api: str) -> None:
    at = categorize("   ")
    assert not at.exception
    assert "Enter the task's title" in at.warning[0].value


def test_api_refusal_is_shown_as_its_message(live_api: str) -> None:
    at = categorize("x" * 600)
    assert not at.exception
    assert "(422)" in at.error[0].value and "title has 600 characters" in at.error[0].value


def test_api_down(dead_api: str) -> None:
    at = AppTest.from_file(TASKS_PAGE, default_timeout=120).run()
    assert not at.exception
    assert "is not reachable" in at.error[0].value


def test_out_of_domain_input_shows_no_category_and_why(live_api: str) -> None:
    answer = httpx.post(f"{live_api}/v1/tasks/categorize", timeout=60,
                        json={"title": "asdf qwerty zxcv"}).json()
    at = categorize("asdf qwerty zxcv")
    assert not at.exception and not at.error
    assert answer["category"] is None and not answer["auto_selected"], answer  # v2 abstains
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Category"] == "none"
    assert "out of domain" in at.warning[0].value and not at.success
