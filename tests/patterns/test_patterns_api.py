"""GET /v1/logs/patterns and source baselines through the real API, two workers on one
SQLite file: counts per template, new patterns and their alert, uploads only when asked."""

from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.core.normalize import template_key
from backend.feedback.patterns import PatternStore
from backend.feedback.store import FeedbackStore
from backend.registry.local import LocalModelStore
from tests.utils.data import loghub_structured
from tests.utils.factories import make_settings

ADMIN = "admin-token-0123456789abcdef"
BASE = [f"Payment service crashed with exit code {n}" for n in range(6)] + [
    f"User user{n} logged in." for n in range(6)]


@contextmanager
def _worker(store: LocalModelStore, db: Path, **overrides: Any) -> Iterator[TestClient]:
    settings = make_settings(store.root, **{
        "RATE_LIMIT": "off", "LOG_FORMAT": "text", "DATABASE_URL": f"sqlite:///{db}",
        "API_TOKEN": ADMIN, "PATTERNS_FLUSH_S": 0.0, "BASELINE_RECORDS": 10, **overrides})
    with TestClient(create_app(settings, load_in_background=False)) as client:
        yield client


def _send(client: TestClient, source: str, lines: list[str]) -> None:
    r = client.post("/v1/logs/classify", json={"logs": [
        {"source": source, "log_message": m} for m in lines]})
    assert r.status_code == 200, r.text


def _patterns(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get("/v1/logs/patterns", params=params)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_counts_and_buckets_are_right_across_two_workers(tiny_store: LocalModelStore,
                                                         tmp_path: Path) -> None:
    db = tmp_path / "fb.db"
    with _worker(tiny_store, db) as a, _worker(tiny_store, db) as b:
        _send(a, "billing", BASE[:6])
        _send(b, "billing", BASE)
        _send(a, "billing", BASE[6:])
        seen_by_a, seen_by_b = _patterns(a), _patterns(b)
    for body in (seen_by_a, seen_by_b):
        by_key = {p["template"]: p for p in body["patterns"]}
        crash = by_key["payment service crashed with exit code <var>"]
        login = by_key["user <user> logged in."]
        assert (crash["count"], login["count"]) == (12, 12)
        assert crash["share"] == 0.5
        assert sum(bk["count"] for bk in crash["buckets"]) == 12
        assert crash["example"] == "Payment service crashed with exit code <var>"
        assert crash["label"] and crash["tier"] in {"rules", "model", "llm", "none"}
        assert crash["new"] is False  # the source's first lines are its baseline
        assert body["sources"][0]["baseline"]["state"] == "complete"


def test_a_new_template_after_the_baseline_is_flagged_and_alerted(
        tiny_store: LocalModelStore, tmp_path: Path) -> None:
    with _worker(tiny_store, tmp_path / "fb.db") as client:
        _send(client, "billing", BASE[:5])
        _send(client, "billing", ["Disk quota exceeded on volume 7"])  # still learning
        assert _patterns(client, new=True)["patterns"] == []
        _send(client, "billing", BASE)  # completes the baseline
        _send(client, "billing", ["Kernel panic: fatal exception in interrupt 9"])
        fresh = _patterns(client, new=True)["patterns"]
        metrics = client.get("/metrics").text
        old = _patterns(client, new=False, source="billing", limit=2)
    assert [p["template"] for p in fresh] == ["kernel panic: fatal exception in interrupt <var>"]
    assert 'sift_patterns_new_total{source="billing"} 1.0' in metrics
    assert len(old["patterns"]) == 2 and not any(p["new"] for p in old["patterns"])
    assert old["total"] == 3


def test_file_uploads_count_only_when_the_caller_asks(tiny_store: LocalModelStore,
                                                      tmp_path: Path) -> None:
    body = "source,log_message\n" + "".join(f"billing,{m}\n" for m in BASE)
    with _worker(tiny_store, tmp_path / "fb.db") as client:
        r = client.post("/v1/logs/classify/csv", files={"file": ("a.csv", body, "text/csv")})
        assert r.status_code == 200
        assert _patterns(client)["patterns"] == []
        r = client.post("/v1/logs/classify/csv", params={"live": "true"},
                        files={"file": ("a.csv", body, "text/csv")})
        assert r.status_code == 200
        counted = _patterns(client)["patterns"]
    assert sum(p["count"] for p in counted) == len(BASE)


def test_pinning_a_baseline_needs_the_token(tiny_store: LocalModelStore,
                                            tmp_path: Path) -> None:
    with _worker(tiny_store, tmp_path / "fb.db", BASELINE_RECORDS=1000) as client:
        _send(client, "billing", BASE)
        assert client.put("/v1/logs/baselines/billing").status_code == 401
        r = client.put("/v1/logs/baselines/billing",
                       headers={"Authorization": f"Bearer {ADMIN}"})
        assert r.status_code == 200 and r.json()["state"] == "pinned"
        assert r.json()["templates"] == 2
        _send(client, "billing", ["Kernel panic: fatal exception in interrupt 9"])
        assert len(_patterns(client, new=True)["patterns"]) == 1
        missing = client.put("/v1/logs/baselines/nobody",
                             headers={"Authorization": f"Bearer {ADMIN}"})
        assert missing.status_code == 404
        listed = client.get("/v1/logs/baselines").json()["baselines"]
    assert [b["source"] for b in listed] == ["billing"]


def test_counted_keys_are_the_answers_template_keys_on_every_door(
        tiny_store: LocalModelStore, tmp_path: Path) -> None:
    """The counter takes each answer's `template` (no second keying): the counts per key
    are the lines' own template keys, alike whether rows share an answer (CSV) or not."""
    lines = [m.replace('"', "'") for m in loghub_structured("OpenSSH")["Content"].head(400)]
    expected = Counter(template_key(m) for m in lines)
    body = "source,log_message\n" + "".join(f'ssh,"{m}"\n' for m in lines)
    counted, problems = [], []
    with _worker(tiny_store, tmp_path / "csv.db") as client:
        r = client.post("/v1/logs/classify/csv", params={"live": "true"},
                        files={"file": ("a.csv", body, "text/csv")})
        assert r.status_code == 200, r.text
        answered = pd.read_csv(io.StringIO(r.text), keep_default_na=False)
        counted.append(_patterns(client, limit=500))
        problems.append(_problem_lines(client.get("/metrics").text))
    with _worker(tiny_store, tmp_path / "json.db") as client:
        _send(client, "ssh", lines)
        counted.append(_patterns(client, limit=500))
        problems.append(_problem_lines(client.get("/metrics").text))
    assert Counter(answered["template"]) == expected
    for body_counted in counted:
        assert {p["template"]: p["count"] for p in body_counted["patterns"]} == expected
    assert problems[0] == problems[1]


def _problem_lines(metrics: str) -> dict[str, float]:
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in metrics.splitlines()
            if line.startswith("sift_pattern_problem_lines_total{")}


def test_counts_reach_the_store_in_a_pause_without_being_asked(
        tiny_store: LocalModelStore, tmp_path: Path) -> None:
    """With PATTERNS_FLUSH_S > 0 the worker writes its counts once they are due and no
    batch came for a moment (nothing reads /v1/logs/patterns, which would flush them)."""
    db = tmp_path / "fb.db"
    reader = PatternStore(FeedbackStore(f"sqlite:///{db}"), max_per_source=50,
                          baseline_records=10, bucket_s=3600, retention_s=86400)
    with _worker(tiny_store, db, PATTERNS_FLUSH_S=0.5) as client:
        _send(client, "billing", BASE)
        assert sum(p["count"] for p in _patterns(client)["patterns"]) == 12  # written now
        _send(client, "billing", BASE)  # not due yet, and no batch follows
        deadline = time.monotonic() + 10
        while _stored(reader) < 24 and time.monotonic() < deadline:
            time.sleep(0.1)
        counted = {r.template_key: r.count for r in reader.patterns("billing")[0]}
    assert counted == {"payment service crashed with exit code <var>": 12,
                       "user <user> logged in.": 12}


def _stored(store: PatternStore) -> int:
    return sum(r.count for r in store.patterns("billing")[0])
