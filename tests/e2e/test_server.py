"""Done-when, end to end: a real uvicorn process labels an uploaded CSV like curl -F would."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest

from tests.utils.factories import REPO_MODELS
from tests.utils.processes import api_server

CSV_IN = (
    "timestamp,source,log_message\n"
    "2025-06-01 10:00:00,ModernCRM,User User123 logged in.\n"
    '2025-06-01 10:00:01,ComputeCloud,"nova.osapi_compute.wsgi.server [req-b9718cd8] '
    '10.11.10.1 ""GET /v2/servers/detail HTTP/1.1"" status: 200 len: 1893 time: 0.2477829"\n'
    "2025-06-01 10:00:02,LegacyCRM,Lead conversion failed for prospect ID 7842 due to missing "
    "contact information.\n"
    "2025-06-01 10:00:03,BillingSystem,\n"
    "2025-06-01 10:00:04,ModernHR,=HYPERLINK(\"http://evil.example\")\n"
)


@pytest.mark.slow
def test_uvicorn_server_labels_an_uploaded_csv(tmp_path: Path, default_model_dir: Path) -> None:
    with api_server(tmp_path, REPO_MODELS, env={"RATE_LIMIT": "off"}) as url:
        ready = httpx.get(f"{url}/ready", timeout=5).json()
        version = ready["models"]["log-classifier"]["version"]
        assert version == default_model_dir.name

        response = httpx.post(f"{url}/v1/logs/classify/csv", timeout=60,
                              files={"file": ("logs.csv", CSV_IN.encode(), "text/csv")})
        assert response.status_code == 200, response.text[:500]
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert list(rows[0]) == ["timestamp", "source", "log_message", "target_label",
                                 "confidence", "tier", "model_version", "reason", "stage",
                                 "template"]
        assert [r["source"] for r in rows] == ["ModernCRM", "ComputeCloud", "LegacyCRM",
                                               "BillingSystem", "ModernHR"]
        assert rows[0]["target_label"] == "User Action" and rows[0]["tier"] == "rules"
        assert rows[2]["tier"] == "llm"
        assert rows[3]["target_label"] == "Unclassified"
        assert rows[3]["reason"] == "empty log_message"
        assert rows[4]["log_message"].startswith("'=")
        assert {r["model_version"] for r in rows} == {version}

        alias = httpx.post(f"{url}/classify", timeout=60,
                           files={"file": ("logs.csv", CSV_IN.encode(), "text/csv")})
        assert alias.text == response.text

        bad = httpx.post(f"{url}/v1/logs/classify/csv", timeout=30,
                         files={"file": ("logs.csv", b"source,msg\nA,b\n", "text/csv")})
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert "log_message" in bad.json()["detail"]
