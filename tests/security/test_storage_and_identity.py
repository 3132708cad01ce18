"""Issue 19, findings 2, 4 and 9: bounded storage and write quotas per client, the rate
limit keyed on the credential (X-Forwarded-For trusted only from FORWARDED_ALLOW_IPS,
against a real uvicorn started like `make api`), credentials never shown or logged."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import update

from backend.api.main import create_app
from backend.core.config import PROJECT_ROOT, Settings
from backend.feedback.store import FeedbackStore, PredictionRecord
from backend.feedback.tables import FeedbackRow, PredictionRow, utcnow
from backend.registry.hub import HubModelStore
from backend.registry.local import LocalModelStore
from bench.server import api_command, free_port, running
from tests.registry.conftest import serving_settings
from tests.registry.hub_double import HubDouble
from tests.utils.auth import WRITER_HEADERS, bearer, writer_env
from tests.utils.factories import make_settings

SECOND_WRITER = "second-writer-token-0123456789"


def _app(root: Path, db: Path, **overrides: object) -> TestClient:
    values = {"RATE_LIMIT": "off", "DATABASE_URL": f"sqlite:///{db}",
              "WRITER_TOKENS": {"tests-writer": WRITER_HEADERS["Authorization"][7:],
                                "second": SECOND_WRITER}, **overrides}
    settings = make_settings(root, **values)
    return TestClient(create_app(settings, load_in_background=False))


def _feedback(message: str) -> dict[str, object]:
    return {"model": "log-classifier", "input": {"source": "ModernCRM", "log_message": message},
            "predicted": "Error", "verdict": "accept"}


def test_feedback_bodies_are_bounded_and_stored_text_capped(tiny_store: LocalModelStore,
                                                           tmp_path: Path) -> None:
    db = tmp_path / "fb.db"
    with _app(tiny_store.root, db, STORE_TEXT_CHARS=200) as client:
        huge = {"source": "ModernCRM", "log_message": "x", "junk": "y" * 5_000_000}
        r = client.post("/v1/feedback", headers=WRITER_HEADERS, json={
            "model": "log-classifier", "input": huge, "predicted": "Error", "verdict": "accept"})
        assert r.status_code == 413 and "FEEDBACK_MAX_INPUT_CHARS" in r.json()["detail"]
        long_line = "Payment service crashed with exit code 137 " + "z" * 3000
        body = client.post("/v1/logs/classify", json={"logs": [
            {"source": "BillingSystem", "log_message": long_line}]}).json()
        (pid,) = body["prediction_ids"]
        r = client.post("/v1/feedback", headers=WRITER_HEADERS,
                        json={"prediction_id": pid, "verdict": "accept"})
        assert r.status_code == 201, r.text
    store = FeedbackStore(f"sqlite:///{db}")
    stored = store.get_prediction(pid)
    assert stored is not None and len(json.loads(stored.input_json)["log_message"]) == 200
    with store._session() as session:  # noqa: SLF001 - reading the real table
        (row,) = session.query(FeedbackRow).all()
    assert row.client == "writer:tests-writer" and len(row.input_json) < 400
    assert db.stat().st_size < 1_000_000


def test_write_quota_answers_429_with_retry_after_per_client(tiny_store: LocalModelStore,
                                                            tmp_path: Path) -> None:
    with _app(tiny_store.root, tmp_path / "fb.db", WRITE_QUOTA="3/minute") as client:
        codes = [client.post("/v1/feedback", headers=WRITER_HEADERS,
                             json=_feedback(f"User {i} logged in")).status_code
                 for i in range(4)]
        assert codes == [201, 201, 201, 429]
        r = client.post("/v1/feedback", headers=WRITER_HEADERS, json=_feedback("again"))
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "WRITE_QUOTA" in r.json()["detail"]
        r = client.post("/v1/feedback", headers=bearer(SECOND_WRITER), json=_feedback("other"))
        assert r.status_code == 201  # another client's quota is its own


def test_record_quota_stops_storing_not_answering(tiny_store: LocalModelStore,
                                                 tmp_path: Path) -> None:
    with _app(tiny_store.root, tmp_path / "fb.db", RECORD_QUOTA="3/hour") as client:
        logs = [{"source": "ModernCRM", "log_message": f"User {i} logged in"} for i in range(2)]
        first = client.post("/v1/logs/classify", json={"logs": logs},
                            headers=bearer(SECOND_WRITER)).json()
        second = client.post("/v1/logs/classify", json={"logs": logs},
                             headers=bearer(SECOND_WRITER)).json()
        assert len(first["prediction_ids"]) == 2 and second["prediction_ids"] is None
        assert len(second["predictions"]) == 2


def test_retention_deletes_old_rows_but_keeps_predictions_with_feedback(tmp_path: Path):
    store = FeedbackStore(f"sqlite:///{tmp_path / 'fb.db'}")
    old, kept, fresh = store.record_predictions("m", "v1", [
        PredictionRecord({"title": t}, f"k-{t}", "Design", 0.9) for t in "abc"])
    store.add_feedback("accept", prediction_id=kept)
    with store._session.begin() as session:  # noqa: SLF001 - age the rows for the test
        session.execute(update(PredictionRow).where(PredictionRow.id.in_([old, kept]))
                        .values(created_at=utcnow() - timedelta(days=40)))
    assert store.purge(prediction_days=30, feedback_days=365) == (1, 0)
    assert store.get_prediction(old) is None and store.get_prediction(kept) is not None
    assert store.get_prediction(fresh) is not None
    with store._session.begin() as session:  # noqa: SLF001
        session.execute(update(FeedbackRow).values(created_at=utcnow() - timedelta(days=400)))
    assert store.purge(prediction_days=30, feedback_days=365) == (1, 1)


def test_the_rate_limit_keys_on_the_credential(tiny_store: LocalModelStore,
                                              tmp_path: Path) -> None:
    with _app(tiny_store.root, tmp_path / "fb.db", RATE_LIMIT="3/minute") as client:
        mine = [client.get("/v1/models", headers=WRITER_HEADERS).status_code for _ in range(4)]
        theirs = client.get("/v1/models", headers=bearer(SECOND_WRITER)).status_code
        assert mine == [200, 200, 200, 429] and theirs == 200


@pytest.mark.slow
def test_spoofed_forwarded_for_does_not_reset_the_limit(tmp_path: Path) -> None:
    """A real uvicorn started with the project's command line, from 127.0.0.1 (the
    address uvicorn would trust by default)."""
    env = {"MODELS_ROOT": str(PROJECT_ROOT / "models"), "RATE_LIMIT": "3/minute",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'fb.db'}", **writer_env()}
    for trusted, expected in (("", [200, 200, 200, 429, 429]), ("127.0.0.1", [200] * 5)):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with running(api_command(port, "--log-level", "warning"), f"{url}/health",
                     tmp_path / f"api-{port}.log", {**env, "FORWARDED_ALLOW_IPS": trusted}):
            codes = [httpx.get(f"{url}/v1/models", timeout=30,
                               headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                     for i in range(5)]
        assert codes == expected, (trusted, codes)


def test_every_launch_command_leaves_forwarded_for_to_the_app() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    cli = (PROJECT_ROOT / "backend" / "api" / "commands.py").read_text()
    streamlit = (PROJECT_ROOT / ".streamlit" / "config.toml").read_text()
    assert "--no-proxy-headers" in makefile and '"--no-proxy-headers"' in dockerfile
    assert '"--no-proxy-headers"' in cli and "--no-proxy-headers" in api_command(1)
    assert "API_HOST ?= 127.0.0.1" in makefile and '= "127.0.0.1",' in cli
    assert 'address = "127.0.0.1"' in streamlit and "maxUploadSize = 50" in streamlit
    assert "COPY --chown=sift:sift .streamlit" in dockerfile


def test_hub_credentials_never_reach_models_or_logs(published: HubModelStore, hub: HubDouble,
                                                   tmp_path: Path,
                                                   capfd: pytest.CaptureFixture[str]) -> None:
    secret = "s3cr3t-password"
    endpoint = hub.url.replace("http://", f"http://mirror-user:{secret}@")
    settings: Settings = serving_settings(tmp_path, hub, HF_ENDPOINT=endpoint,
                                          LOG_MODEL_VERSION="v1", RATE_LIMIT="off",
                                          LOG_LEVEL="DEBUG", LOG_FORMAT="json",
                                          DATABASE_URL=f"sqlite:///{tmp_path / 'fb.db'}")
    with TestClient(create_app(settings, load_in_background=False)) as client:
        body = client.get("/v1/models").text
        hub.stop()  # an unreachable Hub: its error messages name the endpoint
        client.post("/v1/models/log-classifier/activate", json={"version": "v2"},
                    headers=bearer("x" * 16))
        assert client.get("/v1/models").status_code == 200
    assert secret not in body and "mirror-user" not in body and "***@" in body
    logged = capfd.readouterr().err
    assert "HTTP Request" in logged and "***@" in logged  # the service log, as written
    assert secret not in logged


def test_short_tokens_and_default_service_passwords_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 characters"):
        make_settings(API_TOKEN="sift-admin")
    with pytest.raises(ValueError, match=r"WRITER_TOKENS\['ui'\] must have at least 16"):
        make_settings(WRITER_TOKENS={"ui": "short"})
    spec = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    postgres = spec["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert postgres == "${POSTGRES_PASSWORD:-}"  # no default: the image will not start
    redis = " ".join(spec["services"]["redis"]["command"])
    assert "--requirepass" in redis and "exit 1" in redis
    assert "SIFT_WRITER_TOKEN" in spec["services"]["ui"]["environment"]
