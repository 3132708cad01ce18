"""Recording predictions is optional, or sampled, on bulk and OTLP (issue 25): none by
default, all at 1, about the asked share in between, chosen by a stable hash of the
line (the same lines each time)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.core.config import get_settings
from backend.feedback.store import FeedbackStore
from backend.logs.recording import sampled
from backend.pipelines import otlp
from backend.registry.local import LocalModelStore
from tests.bulk.conftest import RunCli
from tests.bulk.factory import numbered_logs
from tests.utils.factories import make_settings


def test_the_sample_is_stable_and_near_the_rate() -> None:
    sources = ["web"] * 4000
    messages = [f"GET /item/{i} 200" for i in range(4000)]
    picked = sampled(sources, messages, 0.1)
    assert picked == sampled(sources, messages, 0.1)  # the same lines each time
    assert 300 < len(picked) < 500
    assert sampled(sources, messages, 0.0) == [] and len(sampled(sources, messages, 1)) == 4000


@pytest.mark.parametrize(("rate", "stored"), [(0.0, 0), (1.0, 300)])
def test_classify_file_records_only_when_asked(run_cli: RunCli, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch, rate: float,
                                               stored: int) -> None:
    source = tmp_path / "in.csv"
    numbered_logs(300).to_csv(source, index=False)
    db = tmp_path / "feedback.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    get_settings.cache_clear()
    try:
        result = run_cli(source, tmp_path / "out.csv", "--record-sample", str(rate))
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.stdout
    if stored:
        assert FeedbackStore(f"sqlite:///{db}").counts()[0] == stored
        assert json.loads(result.stdout.split("summary: ")[1])["recorded"] == stored
    else:
        assert not db.exists()  # nothing asked, nothing written


def _otlp_body(n: int) -> str:
    records = [{"body": {"stringValue": f"Payment service crashed with exit code {i}"}}
               for i in range(n)]
    return json.dumps({"resourceLogs": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "BillingSystem"}}]},
        "scopeLogs": [{"logRecords": records}]}]})


@pytest.mark.parametrize(("rate", "stored"), [(0.0, 0), (1.0, 40)])
def test_otlp_records_only_the_asked_share(tiny_store: LocalModelStore, tmp_path: Path,
                                           rate: float, stored: int) -> None:
    db = f"sqlite:///{tmp_path / 'feedback.db'}"
    settings = make_settings(tiny_store.root, RATE_LIMIT="off", DATABASE_URL=db,
                             OTLP_RECORD_SAMPLE=rate)
    with TestClient(create_app(settings, load_in_background=False)) as client:
        r = client.post("/v1/logs", content=_otlp_body(40), headers={"Content-Type": otlp.JSON})
        assert r.status_code == 200, r.text
    assert FeedbackStore(db).counts()[0] == stored
