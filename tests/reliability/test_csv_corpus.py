"""Hostile CSV uploads: every answer is 2xx or 4xx problem+json; a 2xx keeps every row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sift_tables import neutralise
from tests.reliability.conftest import build_app
from tests.reliability.hostile_csv import Case, corpus
from tests.utils.factories import REPO_MODELS

CASES = corpus()
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


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


@pytest.mark.slow  # ~200 uploads: about a minute on an idle 2-core machine
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_csv_answers_4xx_or_keeps_every_row(csv_client: TestClient, case: Case) -> None:
    files = {"file": ("upload.csv", case.data, "text/csv")}
    response = csv_client.post("/v1/logs/classify/csv", files=files)
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"]
        return
    rows = list(csv.reader(io.StringIO(response.text)))
    header, body = rows[0], rows[1:]
    assert {"target_label", "confidence", "tier", "model_version", "reason"} <= set(header)
    assert header.index("target_label") > header.index("log_message")  # appended after input
    assert body, "a 2xx answer must carry the rows"
    for row in rows:  # nothing a spreadsheet would run as a formula
        assert not any(cell.startswith(FORMULA_START) for cell in row), row
    labels = [row[header.index("target_label")] for row in body]
    assert all(labels) and all(row[header.index("model_version")] for row in body)
    if case.messages is not None:
        column = header.index("log_message")
        got = [_norm(row[column], case.ascii_only) for row in body]
        assert got == [_norm(neutralise(m), case.ascii_only) for m in case.messages]
