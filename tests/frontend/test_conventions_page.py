"""Logs page with a labelled upload (issue 17): agreement figures and chart, disagreements
first, one click teaches a row and says how many other rows changed with it; a problem
label taught routine says it is held for approval (issue 24)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from tests.frontend.test_logs_page import open_page, upload
from tests.utils.auth import WRITER_TOKEN
from tests.utils.processes import api_server, models_root

# a source of its own, so the correction (scoped to it) touches no other test's rows
LABELLED = (b"source,log_message,target_label\n"
            b"TeamConventions,Payment service crashed with exit code 3,Error\n"
            b"TeamConventions,Payment service crashed with exit code 7,Error\n"
            b"TeamConventions,Payment service crashed with exit code 11,Error\n"
            b"TeamConventions,Brute force attack suspected from IP 10.0.0.7,Security Alert\n"
            b"TeamConventions,Multiple login failures occurred on user 6454 account,"
            b"User Action\n")


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API serving log-classifier v4: the hold test needs the login-failure line
    answered with a problem label (v4 says Security Alert; v5, the default, a routine one)."""
    tmp = tmp_path_factory.mktemp("conventions-api")
    with api_server(tmp, models_root(tmp), env={"LOG_MODEL_VERSION": "v4"}) as url:
        yield url


def test_labelled_upload_shows_agreement_and_one_click_teaches_the_template(
        live_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIFT_WRITER_TOKEN", WRITER_TOKEN)
    at: AppTest = upload(open_page(), LABELLED)
    at.button(key="logs_classify").click().run()
    assert not at.exception and not at.error
    figures = {m.label: m.value for m in at.metric}
    assert figures["Disagreements"] == "4" and figures["Accuracy"] == "20.0%"
    first = at.button(key="logs_teach_0")
    assert first.label == "Teach: Error"
    first.click().run()
    assert not at.exception
    assert "2 other rows changed with it" in at.success[0].value
    assert at.button(key="logs_retrain").label.startswith("Retrain")


def test_teaching_a_problem_label_routine_says_held_for_approval(
        live_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIFT_WRITER_TOKEN", WRITER_TOKEN)
    at: AppTest = upload(open_page(), LABELLED)
    at.button(key="logs_classify").click().run()
    login = at.button(key="logs_teach_4")
    assert login.label == "Teach: User Action"
    login.click().run()
    assert not at.exception and not at.error
    assert any("held for approval" in w.value for w in at.warning)
    assert not any("other rows changed" in s.value for s in at.success)
