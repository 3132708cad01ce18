"""The Approvals page through `AppTest` against a real API with an admin token (issue 24):
a writer's problem->routine correction is listed and approved or rejected; a writer's UI is
told the page needs the admin token; row feedback says "held for approval"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from backend.core.config import PROJECT_ROOT
from tests.frontend.test_logs_page import open_page, upload
from tests.utils.auth import WRITER_HEADERS, WRITER_TOKEN
from tests.utils.processes import api_server

PAGE = str(PROJECT_ROOT / "frontend" / "views" / "approvals.py")
ADMIN_TOKEN = "ui-approvals-admin-token-0123456789"
ATTACK = {"source": "UiApprovals", "log_message": "Brute force attack suspected from IP "
                                                  "10.0.0.7"}


@pytest.fixture(scope="module")
def admin_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp: Path = tmp_path_factory.mktemp("approvals-api")
    # log-classifier v4: the row-feedback test needs a line answered with a problem label
    # (v4 calls the login-failure line Security Alert; v5, the default, reads it as routine)
    with api_server(tmp, env={"API_TOKEN": ADMIN_TOKEN, "LOG_MODEL_VERSION": "v4"}) as url:
        yield url


def _hold(url: str, label: str) -> int:
    r = httpx.post(f"{url}/v1/feedback", headers=WRITER_HEADERS, timeout=60, json={
        "model": "log-classifier", "input": ATTACK, "predicted": "Security Alert",
        "verdict": "correct", "correct_label": label})
    assert r.status_code == 201 and r.json()["held_for_approval"], r.text
    return int(r.json()["feedback_id"])


def _as(monkeypatch: pytest.MonkeyPatch, url: str, token: str | None) -> None:
    monkeypatch.setenv("SIFT_API_URL", url)
    monkeypatch.delenv("SIFT_API_TOKEN", raising=False)
    monkeypatch.delenv("SIFT_WRITER_TOKEN", raising=False)
    if token == ADMIN_TOKEN:
        monkeypatch.setenv("SIFT_API_TOKEN", token)
    elif token:
        monkeypatch.setenv("SIFT_WRITER_TOKEN", token)


def test_admin_approves_and_rejects_held_corrections(admin_api: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    approved, rejected = _hold(admin_api, "User Action"), _hold(admin_api, "System Notification")
    _as(monkeypatch, admin_api, ADMIN_TOKEN)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception and not at.error
    shown = " ".join(m.value for m in at.markdown)
    assert f"#{approved}" in shown and "Security Alert" in shown and "User Action" in shown
    at.button(key=f"approvals_ok_{approved}").click().run()
    assert not at.exception
    assert f"Correction #{approved} approved." in at.success[0].value
    at.button(key=f"approvals_no_{rejected}").click().run()
    assert f"Correction #{rejected} rejected." in at.success[0].value
    assert "No correction is waiting" in " ".join(s.value for s in at.success)
    held = httpx.get(f"{admin_api}/v1/feedback/held", timeout=30,
                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).json()["held"]
    assert held == []


def test_a_writers_ui_is_told_approvals_need_the_admin_token(
        admin_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _as(monkeypatch, admin_api, WRITER_TOKEN)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception and not at.error
    assert "need the admin token" in at.info[0].value


def test_row_feedback_from_a_problem_to_a_routine_label_says_held_for_approval(
        admin_api: str, monkeypatch: pytest.MonkeyPatch, small_logs_csv: bytes) -> None:
    _as(monkeypatch, admin_api, WRITER_TOKEN)
    at = upload(open_page(), small_logs_csv)
    at.button(key="logs_classify").click().run()
    at.number_input(key="logs_fb_row").set_value(1).run()  # a login-failure line
    assert "Multiple login failures" in " ".join(c.value for c in at.caption)
    at.selectbox(key="logs_fb_choice").select("User Action").run()
    at.button(key="logs_fb_correct").click().run()
    assert not at.error
    assert "held for approval" in at.warning[-1].value
