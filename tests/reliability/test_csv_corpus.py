"""Hostile CSV uploads: every answer is 2xx or 4xx problem+json; a 2xx keeps every row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.reliability.conftest import build_app
from tests.reliability.hostile_csv import Case, corpus
from tests.utils.factories import REPO_MODELS

CASES = corpus()
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def csv_client(default_model_dir: Path) -> Iterator[TestClient]:
    """The default model behind the full middleware stack (rate limit off: 400 posts)."""
    with TestClient(build_app(REPO_MODELS, RATE_LIMIT="off", MAX_UPLOAD_MB=5)) as client:
        yield client


def _norm(text: str, ascii_only: bool = False) -> str:
    if ascii_only:
        text = "".join(c if c.isascii() else "?" for c in text)
    return " ".join(text.replace("\x00", "").split())


def test_corpus_is_large_and_varied() -> None:
    assert len(CASES) >= 200
    families = {case.name.split("-")[0] for case in CASES}
    assert {"encoding", "delimiter", "quoting", "huge", "binary", "zip", "gzip", "formula",
            "nul", "newline", "header", "unicode"} <= families


@pytest.mark.slow  # ~400 requests: about a minute on an idle 2-core machine
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_csv_answers_4xx_or_keeps_every_row(csv_client: TestClient, case: Case) -> None:
    files = {"file": ("upload.csv", case.data, "text/csv")}
    as_json = csv_client.post("/v1/logs/classify/csv", files=files,
                              headers={"Accept": "application/json"})
    assert as_json.status_code < 500, as_json.text[:500]
    if as_json.status_code >= 400:
        assert as_json.headers["content-type"].startswith("application/problem+json")
        assert as_json.json()["detail"]
        return
    predictions = as_json.json()["predictions"]
    assert predictions, "a 2xx answer must carry the rows"
    assert all(p["label"] and p["model_version"] for p in predictions)
    if case.messages is not None:
        loose = case.ascii_only
        assert ([_norm(p["log_message"], loose) for p in predictions]
                == [_norm(m, loose) for m in case.messages])

    as_csv = csv_client.post("/v1/logs/classify/csv", files=files)
    assert as_csv.status_code == as_json.status_code
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0][-5:] == ["target_label", "confidence", "tier", "model_version", "reason"]
    assert len(rows) - 1 == len(predictions)
    for row in rows:
        assert not any(cell.startswith(FORMULA_START) for cell in row), row
