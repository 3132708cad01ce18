"""A newcomer's first run (issue 29), in a real headless Chromium: `sift serve` (what
`make run` starts) in a fresh folder creates a local credential in `.env` that the API
and the UI share, so one click on a feedback button saves it and the next answer for
that line changes. Swagger UI and ReDoc load with every request off 127.0.0.1 blocked."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend.core.config import PROJECT_ROOT
from backend.core.credential import read_env_value
from tests.e2e.test_browser import CHROMIUM, FLAGS, shot
from tests.utils.processes import free_port, models_root

LOGS = PROJECT_ROOT / "examples" / "logs.csv"
APACHE = ("Apache", "jk2_init() Found child 6725 in scoreboard slot 10")

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not "
                                 "installed (apt-get install chromium chromium-driver)")]


def _wait(url: str, deadline_s: float) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer 200 in {deadline_s:.0f} s")


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """`sift serve` in an empty folder with no credential anywhere: (api, ui, folder)."""
    folder = tmp_path_factory.mktemp("fresh")
    env = {k: v for k, v in os.environ.items()
           if k not in ("API_TOKEN", "WRITER_TOKENS", "SIFT_API_TOKEN", "SIFT_WRITER_TOKEN",
                        "SIFT_API_URL")}
    env |= {"MODELS_ROOT": str(models_root(folder)), "HF_HUB_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false", "RATE_LIMIT": "off",
            "DATABASE_URL": f"sqlite:///{folder / 'feedback.db'}"}
    api_port, ui_port = free_port(), free_port()
    log = (folder / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "training", "serve", "--api-port",
                             str(api_port), "--ui-port", str(ui_port)], cwd=folder, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    api, ui = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ui_port}"
    try:
        _wait(f"{api}/ready", 240)
        _wait(f"{ui}/_stcore/health", 120)
        yield api, ui, folder
    finally:
        proc.terminate()  # sift serve stops the API and the UI first, as on Ctrl-C
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    for port in (api_port, ui_port):  # nothing of it is left listening
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    profile = tmp_path_factory.mktemp("chromium-first-run")
    with playwright_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 2400})
        yield context
        context.close()


def _label(api: str, token: str) -> tuple[str, str]:
    answer = httpx.post(f"{api}/v1/logs/classify", timeout=60,
                        headers={"Authorization": f"Bearer {token}"},
                        json={"logs": [{"source": APACHE[0], "log_message": APACHE[1]}]})
    assert answer.status_code == 200, answer.text[:300]
    prediction = answer.json()["predictions"][0]
    return prediction["label"], prediction["tier"]


def test_first_run_writes_a_local_credential(first_run: tuple[str, str, Path]) -> None:
    _, _, folder = first_run
    env_file = folder / ".env"
    token = read_env_value(env_file)
    assert token is not None and len(token) >= 32
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_one_click_on_feedback_saves_it_and_the_next_answer_changes(
        first_run: tuple[str, str, Path], browser: object) -> None:
    api, ui, folder = first_run
    token = read_env_value(folder / ".env")
    assert token is not None
    before, _ = _label(api, token)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(120_000)
    page.goto(ui)
    page.get_by_role("heading", name="Logs", exact=True).wait_for()
    page.locator("input[type=file]").set_input_files(str(LOGS))
    page.get_by_text("12 rows").first.wait_for()
    page.get_by_role("button", name="Classify").click()
    page.locator("[data-testid=stMetric]", has_text="Coverage").first.wait_for()
    page.get_by_text("Feedback on a row").click()
    row = page.locator(".st-key-logs_fb_row input")
    row.fill("10")  # the Apache line of examples/logs.csv
    row.press("Enter")
    page.get_by_text(f"log_message: {APACHE[1]}").wait_for()
    new_label = "Critical Error" if before != "Critical Error" else "Error"
    page.locator(".st-key-logs_fb_choice").click()
    page.get_by_role("option", name=new_label, exact=True).click()
    page.get_by_role("button", name="Send correction").click()
    page.get_by_text(f"saved for row 10 (correct: {new_label})").wait_for()
    shot(page, "first-run-feedback")
    page.close()
    after, tier = _label(api, token)
    assert (after, tier) == (new_label, "feedback") and after != before


def test_docs_load_with_the_network_blocked(first_run: tuple[str, str, Path],
                                            browser: object) -> None:
    api, _, _ = first_run
    page = browser.new_page()  # type: ignore[attr-defined]
    outside: list[str] = []

    def only_local(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(api):
            route.continue_()  # type: ignore[attr-defined]
        else:
            outside.append(url)
            route.abort()  # type: ignore[attr-defined]

    page.route("**/*", only_local)
    page.set_default_timeout(60_000)
    page.goto(f"{api}/docs")
    page.get_by_text("Accept, reject or correct a prediction").first.wait_for()
    page.locator(".opblock-tag", has_text="logs").first.wait_for()
    page.goto(f"{api}/redoc")
    page.locator("h2", has_text="Classify logs (JSON, NDJSON, raw text)").first.wait_for()
    # ReDoc's bundle always asks for its footer logo from cdn.redoc.ly; blocked, the logo
    # is dropped (an onError in the bundle) and nothing else is fetched from outside
    assert [u for u in outside if not u.endswith("/redoc/logo-mini.svg")] == []
    page.close()
