"""A real event log (BPI Challenge 2013) as a new user brings it: trained by flags only with
its own column names, then tagged through the CLI and the API as CSV and XES, with header
names that differ in case and spacing, and served by name beside the default model."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sklearn.metrics import accuracy_score, f1_score
from typer.testing import CliRunner

from backend.api.main import create_app
from backend.api.state import app_state
from backend.core.config import PROJECT_ROOT, get_settings
from backend.embedding.embedder import Embedder
from backend.sessions.predictor import StepPredictor
from backend.sessions.xes import read_xes
from tests.sessions.conftest import publish
from tests.utils.auth import WRITER_HEADERS
from tests.utils.data import shared_file
from tests.utils.factories import make_settings
from tests.utils.xes import frame_to_xes
from training.cli import app

pytestmark = pytest.mark.slow

CASE, TIME, ACTIVITY = "case:concept:name", "time:timestamp", "concept:name"
NAME = "bpi-2013"
ADMIN_TOKEN = "admin-token-for-tests-0123456789"
FLAGS = ["--config", str(PROJECT_ROOT / "configs" / "steps-eventlog.yaml"), "--name", NAME,
         "--case-column", CASE, "--timestamp-column", TIME, "--event-column", "org:resource",
         "--label-column", ACTIVITY, "--categorical", "org:group,org:role",
         "--categorical", "impact", "--epochs", "2", "--test-fraction", "0.2"]
# the same columns as a spreadsheet user might name them: case and separators differ
RENAMED = {CASE: "Case Concept Name", TIME: "Time Timestamp", "org:resource": "ORG.RESOURCE",
           "org:group": "Org Group"}


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The first 250 cases of the real log, column names untouched."""
    frame = pd.read_csv(shared_file("eventlogs/BPI2013_closed.csv"), dtype=str)
    cases = frame[CASE].drop_duplicates().head(250)
    return frame[frame[CASE].isin(cases)].reset_index(drop=True)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, log: pd.DataFrame,
             predictor: StepPredictor) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("models")
    publish(root, predictor)  # the default step-tagger, served beside the real-log model
    data = root.parent / "bpi2013.csv"
    log.to_csv(data, index=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MODELS_ROOT", str(root))
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["train-steps", "--data", str(data), *FLAGS])
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"published {NAME} v1" in result.output
    yield root


def test_mapping_is_stored_in_the_manifest(registry: Path) -> None:
    manifest = (registry / NAME / "v1" / "manifest.json").read_text()
    for name in (CASE, TIME, "org:resource", ACTIVITY, "org:role", "impact"):
        assert f'"{name}"' in manifest


def test_cli_predicts_csv_with_renamed_headers_and_xes(registry: Path, log: pd.DataFrame,
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELS_ROOT", str(registry))
    get_settings.cache_clear()
    unlabelled = log.drop(columns=[ACTIVITY]).head(120)
    csv_in = tmp_path / "renamed.csv"
    unlabelled.rename(columns=RENAMED).to_csv(csv_in, index=False)
    xes_in = tmp_path / "log.xes.gz"
    xes_in.write_bytes(gzip.compress(frame_to_xes(unlabelled).encode()))
    outputs = []
    for given in (csv_in, xes_in):
        out = tmp_path / f"{given.name}.out.csv"
        result = CliRunner().invoke(app, ["predict-steps", "--input", str(given), "--output",
                                          str(out), "--name", NAME])
        assert result.exit_code == 0, result.output
        outputs.append(pd.read_csv(out))
    get_settings.cache_clear()
    csv_out, xes_out = outputs
    assert len(csv_out) == len(xes_out) == 120
    assert "Org Group" in csv_out.columns  # feature columns keep the user's names
    assert csv_out["confidence"].round(3).tolist() == xes_out["confidence"].round(3).tolist()


@pytest.fixture(scope="module")
def client(registry: Path, embedder: Embedder) -> Iterator[TestClient]:
    settings = make_settings(registry, RATE_LIMIT="off", API_TOKEN=ADMIN_TOKEN)
    with TestClient(create_app(settings, load_in_background=False)) as test_client:
        yield test_client


def test_models_lists_both_step_models_with_their_columns(client: TestClient) -> None:
    models = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
    assert models[NAME]["kind"] == "step-tagger" == models["step-tagger"]["kind"]
    columns = models[NAME]["columns"]
    assert columns["required"] == [CASE, TIME, "org:resource"]
    assert columns["optional"] == ["org:group", "org:role", "impact"]
    assert models["step-tagger"]["columns"]["required"] == ["session_id", "timestamp",
                                                            "event_name"]
    assert models["log-classifier"]["columns"] is None


def test_api_tags_csv_and_xes_by_model_name(client: TestClient, log: pd.DataFrame) -> None:
    unlabelled = log.drop(columns=[ACTIVITY]).head(90)
    csv_bytes = unlabelled.rename(columns=RENAMED).to_csv(index=False).encode()
    xes_bytes = frame_to_xes(unlabelled).encode()
    bodies = []
    for name, data in (("log.csv", csv_bytes), ("log.xes", xes_bytes),
                       ("log.xes.gz", gzip.compress(xes_bytes))):
        response = client.post("/v1/sessions/predict/csv", data={"model": NAME},
                               files={"file": (name, io.BytesIO(data))},
                               headers={"Accept": "application/json"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["model"] == NAME and len(body["predictions"]) == 90
        assert all(p["prediction_id"] for p in body["predictions"])
        bodies.append([p["confidence"] for p in body["predictions"]])
    assert bodies[0] == bodies[1] == bodies[2]
    csv = client.post("/v1/sessions/predict/csv", data={"model": NAME},
                      files={"file": ("log.csv", io.BytesIO(csv_bytes))})
    assert csv.status_code == 200 and csv.headers["x-model"] == NAME
    assert len(pd.read_csv(io.StringIO(csv.text))) == 90


def test_api_json_needs_only_case_time_event(client: TestClient, log: pd.DataFrame) -> None:
    bare = log[[CASE, TIME, "org:resource"]].head(30).to_dict("records")
    response = client.post("/v1/sessions/predict", json={"events": bare, "model": NAME})
    assert response.status_code == 200, response.text
    warnings = response.json()["warnings"]
    assert len(warnings) == 1 and "'org:role'" in warnings[0]


def test_unknown_model_is_a_404_naming_the_served_ones(client: TestClient,
                                                       log: pd.DataFrame) -> None:
    bare = log[[CASE, TIME, "org:resource"]].head(3).to_dict("records")
    response = client.post("/v1/sessions/predict", json={"events": bare, "model": "nope"})
    assert response.status_code == 404
    assert NAME in response.json()["detail"] and "step-tagger" in response.json()["detail"]


def test_step_models_are_retrainable_through_the_api(client: TestClient) -> None:
    response = client.post("/v1/models/step-tagger/retrain",
                           headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 409  # accepted as retrainable; nothing to learn yet
    assert "No labelled feedback for step-tagger" in response.json()["detail"]


def test_step_correction_by_prediction_id_is_kept_for_retraining(
        client: TestClient, log: pd.DataFrame) -> None:
    events = log.drop(columns=[ACTIVITY]).head(12).to_dict("records")
    body = client.post("/v1/sessions/predict", json={"events": events, "model": NAME}).json()
    first = body["predictions"][0]
    response = client.post("/v1/feedback", headers=WRITER_HEADERS, json={
        "prediction_id": first["prediction_id"], "verdict": "correct",
        "correct_label": "Completed"})
    assert response.status_code == 201, response.text
    assert response.json()["model"] == NAME
    store = app_state(client.app).learning.store
    (example,) = store.labelled_examples(NAME)
    assert example.label == "Completed"
    assert example.input[CASE] == events[0][CASE] and example.input[TIME] == events[0][TIME]
    assert set(example.input) >= {"org:resource", "org:group", "org:role", "impact"}


# --- task mining on the tagged log (issue 27): cases the model never saw -------------------

@pytest.fixture(scope="module")
def held_out() -> pd.DataFrame:
    """Cases 251-450 of the real log: the model was trained on the first 250 only."""
    frame = pd.read_csv(shared_file("eventlogs/BPI2013_closed.csv"), dtype=str)
    cases = frame[CASE].drop_duplicates().iloc[250:450]
    return frame[frame[CASE].isin(cases)].reset_index(drop=True)


@pytest.fixture(scope="module")
def tagged_csv(client: TestClient, held_out: pd.DataFrame) -> bytes:
    """The held-out cases tagged through the API, activity column kept, some abstained."""
    response = client.post("/v1/sessions/predict/csv", data={"model": NAME, "threshold": "0.8"},
                           files={"file": ("held.csv", held_out.to_csv(index=False).encode())})
    assert response.status_code == 200, response.text
    return response.content


def test_views_of_held_out_cases_with_agreement(client: TestClient, tagged_csv: bytes) -> None:
    tagged = pd.read_csv(io.BytesIO(tagged_csv), dtype=str, keep_default_na=False)
    response = client.post("/v1/sessions/views", data={"model": NAME,
                                                       "label_column": "Concept Name"},
                           files={"file": ("tagged.csv", tagged_csv)})
    assert response.status_code == 200, response.text
    views = response.json()
    assert views["summary"]["events"] == len(tagged)
    assert views["summary"]["cases"] == tagged[CASE].nunique() == 200
    nodes = {n["step"]: n["events"] for n in views["process_map"]["nodes"]}
    assert nodes == tagged["step_name"].value_counts().to_dict()
    assert views["summary"]["abstained_events"] == (tagged["abstained"] == "True").sum() > 0
    # agreement, independently: sklearn over every held-out event (abstained = a miss)
    truth, sift = tagged[ACTIVITY], tagged["step_name"]
    figures = views["agreement"]
    assert figures["labelled_rows"] == len(tagged)
    assert figures["accuracy"] == round(accuracy_score(truth, sift), 4)
    assert figures["macro_f1"] == round(f1_score(truth, sift, labels=sorted(set(truth)),
                                                 average="macro", zero_division=0), 4)
    assert figures["disagreements"] == [i for i in range(len(tagged)) if truth[i] != sift[i]]
    labels = figures["labels"]
    assert sum(map(sum, figures["confusion"])) == len(tagged) and "Unclassified" in labels


def test_xes_export_of_the_tagged_log_keeps_every_event(client: TestClient, tagged_csv: bytes,
                                                        tmp_path: Path) -> None:
    tagged = pd.read_csv(io.BytesIO(tagged_csv), dtype=str, keep_default_na=False)
    response = client.post("/v1/sessions/xes", data={"model": NAME},
                           files={"file": ("tagged.csv", tagged_csv)})
    assert response.status_code == 200, response.text
    assert response.headers["x-events"] == str(len(tagged))
    back = read_xes(response.content).set_index("sift:row").sort_index(key=lambda i: i.astype(int))
    assert back["concept:name"].tolist() == tagged["step_name"].tolist()
    assert back["original:concept:name"].tolist() == tagged[ACTIVITY].tolist()
    assert back["lifecycle:transition"].tolist() == tagged["lifecycle:transition"].tolist()
    pm4py = pytest.importorskip("pm4py")
    path = tmp_path / "tagged.xes"
    path.write_bytes(response.content)
    assert len(pm4py.read_xes(str(path))) == len(tagged)
    missing = client.post("/v1/sessions/xes", data={"model": NAME},
                          files={"file": ("t.csv", held_out_bytes(tagged))})
    assert missing.status_code == 422 and "step_name" in missing.json()["detail"]


def held_out_bytes(tagged: pd.DataFrame) -> bytes:
    return tagged.drop(columns=["step_name"]).to_csv(index=False).encode()


def test_cli_writes_xes_and_reports_agreement(registry: Path, held_out: pd.DataFrame,
                                              tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELS_ROOT", str(registry))
    get_settings.cache_clear()
    given = tmp_path / "held.csv"
    held_out.head(300).to_csv(given, index=False)
    out = tmp_path / "held.xes"
    result = CliRunner().invoke(app, ["predict-steps", "--input", str(given), "--output",
                                      str(out), "--name", NAME])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "agreement with 'concept:name' on 300 events: accuracy" in result.output
    assert len(read_xes(out.read_bytes())) == 300
