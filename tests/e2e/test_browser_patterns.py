"""The Patterns page in a real headless Chromium (issue 26): the admin relabels a routine
pattern with one click and the next answer for that template changes. Its screenshot is
docs/screenshots/patterns.png (refreshed with SIFT_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.test_browser import CHROMIUM, browser, shot  # noqa: F401  # the fixture
from tests.utils.processes import api_server, ui_server

ADMIN_TOKEN = "browser-patterns-admin-token-0123456789"
SOURCE = "WebPortal"
LINES = [f"User User{n} logged in." for n in range(1, 7)] + [
    f"Disk {n} failed on node {n}" for n in range(1, 4)] + [
    "Backup completed successfully.", "Backup completed successfully."]

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not "
                                 "installed (apt-get install chromium chromium-driver)")]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    logs = tmp_path_factory.mktemp("browser-patterns")
    env = {"API_TOKEN": ADMIN_TOKEN, "PATTERNS_FLUSH_S": "0", "BASELINE_RECORDS": "5"}
    with api_server(logs, env=env) as api_url, \
            ui_server(logs, api_url, env={"SIFT_API_TOKEN": ADMIN_TOKEN}) as ui_url:
        yield api_url, ui_url


def _answer(api_url: str, line: str) -> dict[str, object]:
    r = httpx.post(f"{api_url}/v1/logs/classify", timeout=60,
                   json={"logs": [{"source": SOURCE, "log_message": line}]})
    assert r.status_code == 200, r.text
    return dict(r.json()["predictions"][0])


def test_admin_relabels_a_routine_pattern_on_the_patterns_page(
        servers: tuple[str, str], browser: object) -> None:  # noqa: F811
    api_url, ui_url = servers
    r = httpx.post(f"{api_url}/v1/logs/classify", timeout=60, json={"logs": [
        {"source": SOURCE, "log_message": m} for m in LINES]})
    assert r.status_code == 200
    assert _answer(api_url, "User User77 logged in.")["label"] == "User Action"
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(120_000)
    page.set_viewport_size({"width": 1400, "height": 1300})
    page.goto(f"{ui_url}/patterns")
    page.get_by_role("heading", name="Patterns", exact=True).wait_for()
    page.get_by_text("patterns shown").wait_for()
    pick = page.locator("[data-testid=stSelectbox]").filter(has_text="Pattern")
    pick.click()
    page.get_by_role("option", name="user <user> logged in.").click()
    right = page.locator("[data-testid=stSelectbox]").filter(has_text="Right label")
    right.click()
    page.get_by_role("option", name="System Notification").click()
    page.get_by_role("button", name="Relabel pattern").click()
    page.get_by_text("saved for the pattern").wait_for()
    assert page.locator("[data-testid=stException]").count() == 0
    shot(page, "patterns")
    after = _answer(api_url, "User User4242 logged in.")
    assert (after["label"], after["tier"]) == ("System Notification", "feedback")
    page.close()
