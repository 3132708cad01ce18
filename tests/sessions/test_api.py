"""POST /v1/sessions/predict (JSON) and /predict/csv against a real app over a tmp registry."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.embedding.embedder import Embedder
from backend.sessions.predictor import StepPredictor
from tests.sessions.conftest import publish
from tests.utils.factories import make_settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, predictor: StepPredictor,
           embedder: Embedder) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("registry")
    publish(root, predictor)
    settings = make_settings(root, RATE_LIMIT="off", JOB_CHUNK_ROWS=100)  # jobs in slices
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


def _spaced(name: str) -> str:
    """`session_id` -> `Session ID`, `event_name` -> `Event Name` (as a user types it)."""
    return " ".join(w.upper() if w == "id" else w.capitalize() for w in name.split("_"))


def test_predict_json_spaced_capitalised_keys_match_the_models(client: TestClient,
                                                               events: pd.DataFrame) -> None:
    records = _records(events, 30)
    spaced = [{_spaced(k): v for k, v in r.items()} for r in records]
    assert "Session ID" in spaced[0] and "Event Name" in spaced[0] and "Timestamp" in spaced[0]
    plain = client.post("/v1/sessions/predict", json={"events": records}).json()
    response = client.post("/v1/sessions/predict", json={"events": spaced})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [p["session_id"] for p in body["predictions"]] == [r["session_id"] for r in records]
    assert [p["step_name"] for p in body["predictions"]] == [
        p["step_name"] for p in plain["predictions"]]
    assert body["summary"]["rows_in"] == 30 and body["warnings"] == plain["warnings"]


def test_predict_csv_spaced_headers_tag_as_the_json_door(client: TestClient,
                                                         events: pd.DataFrame) -> None:
    sample = events.drop(columns=["step_name"]).head(30)
    data = sample.rename(columns=_spaced).to_csv(index=False).encode()
    response = client.post("/v1/sessions/predict/csv", files={"file": ("e.csv", data)},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    plain = client.post("/v1/sessions/predict", json={"events": _records(events, 30)}).json()
    assert [p["step_name"] for p in response.json()["predictions"]] == [
        p["step_name"] for p in plain["predictions"]]


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


@pytest.fixture(scope="module")
def tagged_csv(client: TestClient, events: pd.DataFrame) -> bytes:
    """Generated sessions tagged by the API (the given step_name kept beside sift's)."""
    response = client.post("/v1/sessions/predict/csv",
                           files={"file": ("s.csv", events.head(300).to_csv(index=False))})
    assert response.status_code == 200, response.text
    return response.content


def test_views_default_to_the_models_columns_and_sifts_step(client: TestClient,
                                                           tagged_csv: bytes) -> None:
    tagged = pd.read_csv(io.BytesIO(tagged_csv), dtype=str, keep_default_na=False)
    response = client.post("/v1/sessions/views", data={"label_column": "step_name"},
                           files={"file": ("tagged.csv", tagged_csv)})
    assert response.status_code == 200, response.text
    views = response.json()
    assert views["columns"]["step"] == "sift_step_name"  # the input's own step_name is kept
    assert views["summary"]["cases"] == tagged["session_id"].nunique()
    assert views["agreement"]["column"] == "step_name"
    assert views["timeline"]["case"] == tagged["session_id"].iloc[0]


@pytest.mark.parametrize(("change", "form", "words"), [
    (lambda f: f.drop(columns=["sift_step_name", "step_name"]), {},
     "No step column 'step_name'"),
    (lambda f: f.assign(timestamp="yesterday"), {}, "'timestamp'"),
    (lambda f: f, {"label_column": "no_such"}, "No label column 'no_such'"),
    (lambda f: f, {"label_column": "sift_step_name"}, "sift's own step column"),
    (lambda f: f, {"case_column": "nope"}, "nope"),
])
def test_views_and_xes_bad_input_is_a_named_422(client: TestClient, tagged_csv: bytes,
                                                change: object, form: dict[str, str],
                                                words: str) -> None:
    tagged = pd.read_csv(io.BytesIO(tagged_csv), dtype=str, keep_default_na=False)
    body = change(tagged).to_csv(index=False)  # type: ignore[operator]
    for path in ("/v1/sessions/views", "/v1/sessions/xes"):
        if path.endswith("xes") and "label_column" in form:
            continue
        response = client.post(path, data=form, files={"file": ("t.csv", body)})
        assert response.status_code == 422, (path, response.text)
        assert words in response.json()["detail"]


def test_views_of_sifts_own_xes_and_an_unknown_case(client: TestClient,
                                                    tagged_csv: bytes) -> None:
    xes = client.post("/v1/sessions/xes", files={"file": ("t.csv", tagged_csv)})
    assert xes.status_code == 200 and xes.content.startswith(b"<?xml")
    response = client.post("/v1/sessions/views", data={
        "case_column": "case:concept:name", "timestamp_column": "time:timestamp",
        "step_column": "concept:name", "case": "no-such-case"},
        files={"file": ("tagged.xes", xes.content)})
    assert response.status_code == 200, response.text
    views = response.json()
    tagged = pd.read_csv(io.BytesIO(tagged_csv), dtype=str, keep_default_na=False)
    assert views["summary"]["events"] == len(tagged)
    assert views["timeline"] is None and "no-such-case" in views["warnings"][0]
    binary = client.post("/v1/sessions/views", files={"file": ("t.csv", b"\x00\x01\x02" * 50)})
    assert 400 <= binary.status_code < 500


def _finished(client: TestClient, location: str) -> dict[str, object]:
    import time

    for _ in range(1200):
        body: dict[str, object] = client.get(location).json()
        if body["status"] not in ("queued", "running"):
            return body
        time.sleep(0.05)
    raise AssertionError("the job did not end")


def test_session_job_tags_the_whole_file_with_its_curve(client: TestClient,
                                                        events: pd.DataFrame) -> None:
    """Spaced headers, a labelled file, slices of whole sessions: the same steps as the
    synchronous door, and the curve at the served threshold is the result's coverage."""
    sample = events.head(300)
    data = sample.rename(columns=_spaced).to_csv(index=False).encode()
    created = client.post("/v1/sessions/jobs", files={"file": ("events.csv", data)})
    assert created.status_code == 202, created.text
    job = _finished(client, created.headers["location"])
    assert job["status"] == "succeeded", job["error"]
    result: dict[str, Any] = job["result"]  # type: ignore[assignment]
    sync = client.post("/v1/sessions/predict",
                       json={"events": _records(events, 300)}).json()
    assert result["summary"]["coverage"] == sync["coverage"]
    assert result["summary"]["rows_in"] == 300 and result["agreement"]["labelled_rows"] == 300
    served = [p for p in result["curve"] if p["threshold"] == result["threshold"]]
    assert served[0]["coverage"] == result["summary"]["coverage"]
    # the tiny one-epoch model may answer nothing at the served 0.5 (it does with the int8
    # encoder); then the served point has no accuracy, and a lower threshold on the curve has
    assert (served[0]["accuracy"] is None) == (served[0]["coverage"] == 0)
    assert any(p["accuracy"] is not None and p["coverage"] > 0 for p in result["curve"])
    tagged = pd.read_csv(io.StringIO(client.get(f"{created.headers['location']}/result").text))
    assert tagged[result["columns"]["step_name"]].tolist() == [
        p["step_name"] for p in sync["predictions"]]
    assert result["columns"]["step_name"] == "sift_step_name"  # the file's own is kept


def test_session_slices_never_split_a_session_and_keep_every_event() -> None:
    from backend.sessions.columns import AlignedEvents
    from backend.sessions.service import session_chunks

    frame = pd.DataFrame({"session_id": ["a", "b", "a", "c", "b", "c", "d"]})
    slices = session_chunks(AlignedEvents(frame), "session_id", 3)
    assert [sorted(set(frame["session_id"].iloc[s])) for s in slices] == [["a", "b"], ["c", "d"]]
    assert sorted(int(i) for s in slices for i in s) == list(range(7))
