"""Issue 13's input defects on the sessions endpoints, one test each, named after the defect;
every answer states rows in = classified + abstained + refused."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.embedding.embedder import Embedder
from backend.sessions.predictor import StepPredictor
from tests.sessions.conftest import publish
from tests.utils.factories import make_settings
from tests.utils.http import assert_problem

CSV_PATH = "/v1/sessions/predict/csv"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, predictor: StepPredictor,
           embedder: Embedder) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("registry")
    publish(root, predictor)
    with TestClient(create_app(make_settings(root, RATE_LIMIT="off"),
                               load_in_background=False)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def sample(events: pd.DataFrame) -> pd.DataFrame:
    return events.drop(columns=["step_name"]).head(6).reset_index(drop=True)


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def _accounted(response: httpx.Response, rows_in: int) -> None:
    if response.headers["content-type"].startswith("text/csv"):
        got = [int(response.headers[f"x-rows-{k}"])
               for k in ("in", "classified", "abstained", "refused")]
    else:
        s = response.json()["summary"]
        got = [s["rows_in"], s["classified"], s["abstained"], s["refused"]]
    assert got[0] == rows_in == sum(got[1:]), got


def test_defect1_bare_cr_in_a_session_csv_stays_one_quoted_row(client: TestClient,
                                                               sample: pd.DataFrame) -> None:
    frame = sample.head(2).copy()
    frame["window_title"] = ["disk full\r=cmd|x!A0", "plain"]
    data = frame.to_csv(index=False, lineterminator="\r\n")  # the CR cell quoted, as sent
    response = client.post(CSV_PATH, files={"file": ("e.csv", data)})
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    assert len(rows) == 3  # header + 2 rows in, header + 2 rows out
    assert not any(c.startswith(FORMULA_START) for row in rows for c in row)
    _accounted(response, 2)


def test_defect5_session_id_repeated_in_another_case_is_refused(client: TestClient,
                                                               sample: pd.DataFrame) -> None:
    frame = sample.head(2).copy()
    frame["Session_ID"] = "other"
    response = client.post(CSV_PATH, files={"file": ("e.csv", frame.to_csv(index=False))})
    assert_problem(response, 422, "'session_id', 'Session_ID'")


def test_defect6_lone_surrogate_in_window_title_is_replaced(client: TestClient,
                                                           sample: pd.DataFrame) -> None:
    records = _records(sample.head(3))
    body = pd.io.json.ujson_dumps({"events": records}).replace(
        '"window_title":"', '"window_title":"x \\ud800 ', 1)
    response = client.post("/v1/sessions/predict", content=body,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert "lone UTF-16 surrogates (first at event 0)" in response.json()["warnings"][-1]
    _accounted(response, 3)


@pytest.mark.parametrize("placeholder", ["9999-12-31", "0001-01-01T00:00:00Z"])
def test_defect7_timestamps_outside_1677_2262_are_answered(client: TestClient,
                                                           sample: pd.DataFrame,
                                                           placeholder: str) -> None:
    records = _records(sample)
    records[2]["timestamp"] = placeholder
    response = client.post("/v1/sessions/predict", json={"events": records})
    assert response.status_code == 200, response.text
    assert len(response.json()["predictions"]) == len(records)
    _accounted(response, len(records))


@pytest.mark.parametrize("number", ["1e400", "1" + "0" * 400])
def test_defect8_numeric_feature_of_10_400_is_a_named_422(client: TestClient,
                                                         sample: pd.DataFrame,
                                                         number: str) -> None:
    records = _records(sample.head(2))
    body = pd.io.json.ujson_dumps({"events": records}).replace(
        '"file_path_depth":0', f'"file_path_depth":{number}', 1)
    assert number in body
    response = client.post("/v1/sessions/predict", content=body,
                           headers={"Content-Type": "application/json"})
    assert_problem(response, 422, "].file_path_depth", "finite number")


def test_defect9_labelled_session_file_keeps_its_step_name(client: TestClient,
                                                          events: pd.DataFrame) -> None:
    frame = events.head(5)  # carries the true step_name, as a labelled file does
    response = client.post(CSV_PATH, files={"file": ("e.csv", frame.to_csv(index=False))})
    out = pd.read_csv(io.StringIO(response.text), keep_default_na=False)
    assert out["step_name"].tolist() == frame["step_name"].tolist()
    assert "sift_step_name" in out.columns
    assert "sift_step_name" in response.headers["x-warnings"]
    _accounted(response, 5)


def test_unclear_epoch_seconds_mixed_with_iso_are_read(client: TestClient,
                                                       sample: pd.DataFrame) -> None:
    records = _records(sample)
    records[0]["timestamp"] = "1767600000"
    records[1]["timestamp"] = 1767600001
    response = client.post("/v1/sessions/predict", json={"events": records})
    assert response.status_code == 200, response.text


def test_unclear_optional_column_matched_like_required_ones(client: TestClient,
                                                            sample: pd.DataFrame) -> None:
    frame = sample.rename(columns={"action_type": "Action Type", "session_id": "Session ID"})
    response = client.post(CSV_PATH, files={"file": ("e.csv", frame.to_csv(index=False))},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    assert not any("action_type" in w for w in response.json()["warnings"])
    _accounted(response, len(frame))


def test_unclear_deep_json_says_nested(client: TestClient) -> None:
    response = client.post("/v1/sessions/predict", content="[" * 10_000 + "]" * 10_000,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]


def test_unclear_json_sent_as_a_form_says_content_type(client: TestClient,
                                                       sample: pd.DataFrame) -> None:
    body = pd.io.json.ujson_dumps({"events": _records(sample.head(2))})
    response = client.post("/v1/sessions/predict", content=body,  # what curl -d sends
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(response, 422, "Content-Type: application/json")
