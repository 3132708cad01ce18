"""POST /v1/sessions/predict (JSON) and /predict/csv against a real app over a tmp registry."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.logs.embedder import Embedder
from backend.sessions.predictor import StepPredictor
from tests.sessions.conftest import publish
from tests.utils.factories import make_settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, predictor: StepPredictor,
           embedder: Embedder) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("registry")
    publish(root, predictor)
    settings = make_settings(root, RATE_LIMIT="off")
    with TestClient(create_app(settings, load_in_background=False)) as test_client:
        yield test_client


def _records(events: pd.DataFrame, n: int = 60) -> list[dict[str, object]]:
    sample = events.drop(columns=["step_name"]).head(n)
    return sample.astype(object).where(sample.notna(), None).to_dict(orient="records")


def test_predict_json_returns_every_event_in_order(client: TestClient,
                                                   events: pd.DataFrame) -> None:
    records = _records(events)
    response = client.post("/v1/sessions/predict", json={"events": records})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [p["index"] for p in body["predictions"]] == list(range(len(records)))
    assert [p["session_id"] for p in body["predictions"]] == [r["session_id"] for r in records]
    assert body["model_version"] == "v1" and 0.0 <= body["coverage"] <= 1.0
    first = body["predictions"][0]
    assert first["abstained"] == (first["step_name"] == "Unclassified")


def test_predict_json_missing_column_is_a_named_422(client: TestClient,
                                                    events: pd.DataFrame) -> None:
    records = [{k: v for k, v in r.items() if k != "timestamp"} for r in _records(events, 5)]
    response = client.post("/v1/sessions/predict", json={"events": records})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "'timestamp'" in response.json()["detail"]


@pytest.mark.parametrize("payload", [{"events": []}, {"events": [{"a": 1}], "threshold": 2}])
def test_predict_json_rejects_empty_and_bad_threshold(client: TestClient,
                                                      payload: dict[str, object]) -> None:
    response = client.post("/v1/sessions/predict", json=payload)
    assert response.status_code == 422 and response.json()["detail"]


def test_bad_timestamp_is_422_not_500(client: TestClient, events: pd.DataFrame) -> None:
    records = _records(events, 3)
    records[1]["timestamp"] = "not a time"
    response = client.post("/v1/sessions/predict", json={"events": records})
    assert response.status_code == 422 and "not a time" in response.json()["detail"]


def test_predict_csv_appends_columns(client: TestClient, events: pd.DataFrame) -> None:
    data = events.drop(columns=["step_name"]).head(40).to_csv(index=False).encode()
    response = client.post("/v1/sessions/predict/csv", files={"file": ("e.csv", data)},
                           data={"threshold": "0.0"})
    assert response.status_code == 200, response.text
    out = pd.read_csv(io.StringIO(response.text))
    assert len(out) == 40 and out["abstained"].eq(False).all()
    assert {"step_name", "confidence", "predicted_step", "model_version"} <= set(out.columns)
    assert response.headers["x-coverage"] == "1.0"


def test_predict_csv_as_json_and_missing_header(client: TestClient, events: pd.DataFrame,
                                                tmp_path: Path) -> None:
    data = events.head(10).to_csv(index=False).encode()
    response = client.post("/v1/sessions/predict/csv", files={"file": ("e.csv", data)},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200 and len(response.json()["predictions"]) == 10
    bad = b"session,time,event\nS1,2026-01-01,click\n"
    response = client.post("/v1/sessions/predict/csv", files={"file": ("e.csv", bad)})
    assert response.status_code == 422 and "'session_id'" in response.json()["detail"]
