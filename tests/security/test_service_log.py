"""Issue 24, defects 10 and 12: nothing a request sends can forge a line of the service log
(LOG_FORMAT=text escapes control characters in the one text formatter), and the launch
commands (`make api`, `sift serve`) never write a credential sent in a query string."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from backend.api.commands import api_command as serve_api_command
from backend.api.main import create_app
from backend.core.config import PROJECT_ROOT
from backend.core.redact import redact_text
from backend.registry.local import LocalModelStore
from bench.server import free_port, running
from tests.utils.auth import writer_env
from tests.utils.factories import make_settings

ADMIN_TOKEN = "admin-token-in-a-query-0123456789"
FORGED = "ERROR sift.access: forged line"


def test_control_characters_from_a_request_cannot_forge_a_text_log_line(
        tiny_store: LocalModelStore, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tiny_store.root, RATE_LIMIT="off", LOG_FORMAT="text",
                             DATABASE_URL=f"sqlite:///{tmp_path / 'fb.db'}")
    with TestClient(create_app(settings, load_in_background=False)) as client:
        capfd.readouterr()
        client.get("/v1/nothing%0d%0a" + FORGED.replace(" ", "%20") + "%1b[2J%00")
        logged = capfd.readouterr().err
    assert "forged line" in logged  # the path is logged ...
    assert not any(line.startswith(FORGED) or line.startswith("ERROR") for line
                   in logged.splitlines())  # ... on its own line, never as a line of its own
    assert "\\r\\n" + FORGED in logged and "\x1b" not in logged and "\x00" not in logged


def test_credential_named_query_parameters_are_masked_in_log_lines() -> None:
    line = f'GET /v1/x?token={ADMIN_TOKEN}&api_key=k3y-value&page=2 HTTP/1.1" 401'
    cleaned = redact_text(line)
    assert ADMIN_TOKEN not in cleaned and "k3y-value" not in cleaned
    assert "?token=***&api_key=***&page=2" in cleaned


def _make_api_arguments(port: int) -> list[str]:
    """The uvicorn arguments of `make api`, read from the Makefile."""
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    line = re.search(r"^api:.*\n\t\$\(PY\) -m uvicorn (.+)$", makefile, re.M)
    assert line, "the Makefile's api target runs uvicorn"
    words = line[1].replace("$(API_HOST)", "127.0.0.1").replace("$(API_PORT)", str(port))
    return words.split()


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["make api", "sift serve"])
def test_a_token_in_the_query_string_never_reaches_the_log(launcher: str,
                                                          tmp_path: Path) -> None:
    import sys

    port = free_port()
    if launcher == "make api":
        command = [sys.executable, "-m", "uvicorn", *_make_api_arguments(port)]
    else:
        command = serve_api_command("127.0.0.1", port)
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "api.log"
    env = {"MODELS_ROOT": str(PROJECT_ROOT / "models"), "API_TOKEN": ADMIN_TOKEN,
           "LOG_FORMAT": "text", "DATABASE_URL": f"sqlite:///{tmp_path / 'fb.db'}",
           **writer_env()}
    with running(command, f"{url}/health", log, env):
        answer = httpx.get(f"{url}/v1/feedback/labels?token={ADMIN_TOKEN}", timeout=30)
        httpx.get(f"{url}/health?access_token={ADMIN_TOKEN}", timeout=30)
    assert answer.status_code == 401
    written = log.read_text()
    assert "/v1/feedback/labels" in written  # the request was logged ...
    assert ADMIN_TOKEN not in written  # ... without the credential
