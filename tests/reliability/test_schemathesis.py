"""Property-based fuzzing of every operation in the running server's OpenAPI schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.core.config import PROJECT_ROOT
from tests.reliability.conftest import TOKEN

MAX_EXAMPLES = 15


@pytest.mark.slow
def test_openapi_operations_never_answer_5xx(live_api: str, tmp_path: Path) -> None:
    """Schemathesis generates valid and invalid requests for every operation (examples,
    coverage, fuzzing and stateful phases); no response may be a server error. It sends
    the bearer token, so the mutating endpoints are exercised past their auth check."""
    report = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "schemathesis.cli", "run", f"{live_api}/openapi.json",
           "--checks", "not_a_server_error", "--max-examples", str(MAX_EXAMPLES),
           "--seed", "7", "--request-timeout", "60", "--report", "ndjson",
           "--report-ndjson-path", str(report), "--no-color",
           "--header", f"Authorization: Bearer {TOKEN}"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.reliability.schemathesis_hooks"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env,
                          cwd=PROJECT_ROOT)
    tail = proc.stdout[-4000:]
    assert proc.returncode == 0, f"schemathesis found failures:\n{tail}\n{proc.stderr[-2000:]}"
    events = [json.loads(line) for line in report.read_text().splitlines() if line.strip()]
    assert events, "schemathesis sent no requests"
    assert "/v1/logs/classify" in proc.stdout
