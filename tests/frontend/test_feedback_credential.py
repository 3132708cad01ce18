"""A UI without a credential disables its feedback buttons and says why (issue 29): the
API would refuse the click with a 401/403."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from backend.core.config import PROJECT_ROOT
from frontend.feedback import NO_CREDENTIAL

LOGS_PAGE = str(PROJECT_ROOT / "frontend" / "views" / "logs.py")


def classified(small_logs_csv: bytes) -> AppTest:
    at = AppTest.from_file(LOGS_PAGE, default_timeout=120).run()
    at.file_uploader(key="logs_upload").set_value(("logs.csv", small_logs_csv, "text/csv")).run()
    return at.button(key="logs_classify").click().run()


def test_without_a_credential_the_buttons_are_disabled_with_the_reason(
        live_api: str, small_logs_csv: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIFT_WRITER_TOKEN", raising=False)
    monkeypatch.delenv("SIFT_API_TOKEN", raising=False)
    at = classified(small_logs_csv)
    assert at.button(key="logs_fb_accept").disabled
    assert at.button(key="logs_fb_correct").disabled
    assert NO_CREDENTIAL in [i.value for i in at.info]


def test_with_a_credential_the_buttons_are_enabled(live_api: str, small_logs_csv: bytes) -> None:
    at = classified(small_logs_csv)
    assert not at.button(key="logs_fb_correct").disabled
    assert NO_CREDENTIAL not in [i.value for i in at.info]


def test_a_raw_files_source_is_set_in_the_ui(live_api: str) -> None:
    """Default: the file name (`app`); the box names it, so corrections scoped to that
    source reach the file's lines."""
    data = (PROJECT_ROOT / "examples" / "app.log").read_bytes()
    at = AppTest.from_file(LOGS_PAGE, default_timeout=120).run()
    at.text_input(key="logs_raw_source").set_value("shop").run()
    at = at.file_uploader(key="logs_upload").set_value(("app.log", data, "text/plain")).run()
    at.button(key="logs_classify").click().run()
    assert not at.exception and not at.error
    frames = [d.value for d in at.dataframe if "target_label" in d.value.columns]
    assert set(frames[0]["source"]) == {"shop"}
