"""Helpers for API tests: post a CSV upload, read CSV answers, check problem+json."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx

PROBLEM_JSON = "application/problem+json"


def post_csv(client: Any, data: bytes, filename: str = "logs.csv",
             path: str = "/v1/logs/classify/csv", accept: str | None = None,
             content_type: str = "text/csv", **form: str) -> httpx.Response:
    """Multipart upload the way curl -F file=@x.csv sends it."""
    headers = {"Accept": accept} if accept else {}
    response: httpx.Response = client.post(
        path, files={"file": (filename, data, content_type)}, data=form or None,
        headers=headers)
    return response


def read_csv_rows(response: httpx.Response) -> list[dict[str, str]]:
    """The CSV body as dicts (Python's csv module, so quoting is honoured)."""
    assert response.headers["content-type"].startswith("text/csv"), response.text[:300]
    return list(csv.DictReader(io.StringIO(response.text)))


def assert_problem(response: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    """A problem+json error with the status, and a detail that mentions each fragment."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"]
    detail = body["detail"]
    assert isinstance(detail, str) and len(detail) > 10
    for fragment in fragments:
        assert fragment in detail, f"{fragment!r} not in {detail!r}"
    return body
