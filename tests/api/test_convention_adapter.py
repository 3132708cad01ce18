"""Issue 28 through the API: a writer's corrections reach an uncorrected sibling template
at once (no retrain) for that writer's own requests, and nobody else's (issue 24's writer
model); an unrelated template is not reached. The served model is log-classifier v4,
which has never seen these Loghub lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from tests.unit.test_adapter import DENTRY, INODE, MOUNT, UNRELATED
from tests.utils.auth import bearer
from tests.utils.factories import REPO_MODELS, make_settings

BOB, ALICE = bearer("bob-writer-token-0123456789abc"), bearer("alice-writer-token-0123456789a")
BASE = "v4"


def _line(message: str) -> dict[str, str]:
    return {"source": "Linux", "log_message": message}


def _answers(client: TestClient, headers: dict[str, str], *messages: str) -> list[dict[str, Any]]:
    r = client.post(
        "/v1/logs/classify", headers=headers, json={"logs": [_line(m) for m in messages]}
    )
    assert r.status_code == 200, r.text
    return list(r.json()["predictions"])


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    if not (REPO_MODELS / "log-classifier" / BASE).is_dir():
        pytest.skip(f"log-classifier {BASE} is not in models/")
    settings = make_settings(
        REPO_MODELS,
        RATE_LIMIT="off",
        LOG_MODEL_VERSION=BASE,
        API_TOKEN="adapter-admin-token-0123456789",
        DATABASE_URL=f"sqlite:///{tmp_path / 'fb.db'}",
        WRITER_TOKENS={
            "bob": "bob-writer-token-0123456789abc",
            "alice": "alice-writer-token-0123456789a",
        },
        FEEDBACK_MEMORY_REFRESH_S=0.0,
    )
    return TestClient(create_app(settings, load_in_background=False))


def test_a_writers_corrections_reach_a_sibling_template_for_its_own_requests_only(
    client: TestClient,
):
    with client:
        before = _answers(client, BOB, INODE, UNRELATED)
        assert before[0]["label"] == "System Notification"
        for message in (DENTRY, MOUNT):
            r = client.post(
                "/v1/feedback",
                headers=BOB,
                json={
                    "model": "log-classifier",
                    "input": _line(message),
                    "predicted": "System Notification",
                    "verdict": "correct",
                    "correct_label": "Resource Usage",
                },
            )
            assert r.status_code == 201 and not r.json()["held_for_approval"], r.text
        sibling, unrelated = _answers(client, BOB, INODE, UNRELATED)  # the next request
        assert sibling["label"] == "Resource Usage" and sibling["tier"] == "feedback"
        assert sibling["reason"].startswith("convention adapter")
        assert (unrelated["label"], unrelated["tier"]) == (before[1]["label"], before[1]["tier"])
        for other in (ALICE, {}):  # another writer, an anonymous caller: the model's answer
            assert [a["label"] for a in _answers(client, other, INODE)] == ["System Notification"]
