"""Every door gives the same answer (issue 25): 200 real Loghub lines go through JSON,
CSV upload, NDJSON, a JSON array, text/plain, a raw `.log` upload, OTLP (forwarded to a
receiver double on 127.0.0.1) and `sift classify-file` (local engine; Ray in the slow
variant), after one correction made through the API, and every door renders the same
labels, tiers, stages, template keys, confidences and reasons; the tabular doors carry
the same result columns, the JSON doors the same summary with row accounting. The
corrected template is answered from memory on every door, and differs from the answer
before the correction.

The served model is log-classifier v4 and then v5 from models/ (v4: some lines reach the
fallback tier, v5 knows them all; v5 reads the stated level), the API, CLI and bulk alike;
the feedback store a real SQLite file shared by the API and the CLI (same DATABASE_URL).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backend.api.main import create_app
from backend.core.config import get_settings
from backend.logs.columns import RESULT_COLUMNS
from backend.pipelines import otlp
from backend.registry.local import LocalModelStore
from tests.utils.data import loghub_structured
from tests.utils.factories import LOG_MODEL, REPO_MODELS, make_settings
from tests.utils.otlp_double import OTLPReceiverDouble
from training.cli import app as cli_app

ADMIN = "admin-token-for-door-parity-0123456789"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN}"}
SYSTEMS = ("HDFS", "Apache", "OpenSSH", "Linux", "Thunderbird")
FIELDS = ("target_label", "confidence", "tier", "stage", "template", "reason")
# the same settings for the API and the CLI: every low-confidence line may reach the
# fallback tier (the offline nearest-example search), within one budget for all 200
SETTINGS: dict[str, Any] = {"LLM_FOR_LOW_CONFIDENCE": True, "LLM_CALL_BUDGET": 1000,
                            "LLM_QUOTA_PER_CLIENT": "off", "RATE_LIMIT": "off",
                            "WRITE_QUOTA": "off",  # the convention below is ~80 corrections
                            "API_TOKEN": ADMIN, "FEEDBACK_MEMORY_SCOPE": "source",
                            "LOG_FORMAT": "text"}
ENV = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in SETTINGS.items()}
# each model version the doors serve: v4, where some lines reach the fallback tier (v5, the
# default, was trained on these Loghub lines and answers every one confidently), and v5,
# which reads the stated level every door must carry
# and v4 once more with a team's convention taught on other lines and the convention
# adapter off, so that unsure lines near a correction are answered by the neighbour rule
# (with the adapter on, its evidence answers them first)
VERSIONS = ("v4", "v5", "v4-neighbours")
NEIGHBOURS = {"FEEDBACK_ADAPTER": False}
# what the team's convention calls the lines v4 is unsure of (most are boot and daemon
# messages); taught on other Loghub lines, it reaches the 200 only through neighbours
TAUGHT = "System Notification"


def lines() -> pd.DataFrame:
    """40 lines of each of five systems (every 50th line), with the stated level where the
    system has one: source, log_message, level."""
    parts = []
    for system in SYSTEMS:
        frame = loghub_structured(system).iloc[::50].head(40)
        level = frame["Level"].astype(str) if "Level" in frame else ""
        parts.append(pd.DataFrame({"source": system, "log_message": frame["Content"].astype(str),
                                   "level": level}))
    out = pd.concat(parts, ignore_index=True)
    assert len(out) == 200 and not out["log_message"].str.contains("\n").any()
    return out


def _row(values: dict[str, Any]) -> dict[str, Any]:
    """One answer in a comparable form (CSV cells arrive as text; empty = no stage/reason)."""
    out = {name: values.get(name) for name in FIELDS}
    out["confidence"] = round(float(out["confidence"] or 0.0), 4)
    for name in ("stage", "template", "reason"):
        out[name] = "" if out[name] is None or out[name] != out[name] else str(out[name])
    return out


def _csv_rows(text: str) -> tuple[list[str], list[dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    return list(reader.fieldnames or []), [_row(r) for r in rows]


@pytest.fixture(scope="module", params=VERSIONS)
def served(tmp_path_factory: pytest.TempPathFactory,
           request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """The API with a real store, the lines, the answer before the correction, and the
    correction (made through POST /v1/feedback with the admin token: it answers everyone)."""
    variant = str(request.param)
    version, neighbours = variant.split("-")[0], variant.endswith("-neighbours")
    extra = NEIGHBOURS if neighbours else {}
    tmp = tmp_path_factory.mktemp(f"parity-{variant}")
    db = f"sqlite:///{tmp / 'feedback.db'}"
    frame = lines()
    with OTLPReceiverDouble() as downstream:
        settings = make_settings(REPO_MODELS, DATABASE_URL=db,
                                 OTLP_FORWARD_ENDPOINT=downstream.url,
                                 LOG_MODEL_VERSION=version, **SETTINGS, **extra)
        with TestClient(create_app(settings, load_in_background=False)) as client:
            before = json_door(client, frame)
            # correct the most frequent model-tier template to another label
            model_rows = [i for i, r in enumerate(before) if r["tier"] == "model"]
            counts = pd.Series([before[i]["template"] for i in model_rows]).value_counts()
            template = str(counts.index[0])
            first = next(i for i in model_rows if before[i]["template"] == template)
            _, manifest = LocalModelStore(REPO_MODELS).open(LOG_MODEL, version)
            wrong = before[first]["target_label"]
            new = next(lbl for lbl in manifest.labels if lbl not in (wrong, "Unclassified"))
            r = client.post("/v1/feedback", headers=ADMIN_HEADERS, json={
                "model": "log-classifier", "verdict": "correct", "correct_label": new,
                "predicted": wrong, "input": {"source": frame.at[first, "source"],
                                              "log_message": frame.at[first, "log_message"]}})
            assert r.status_code == 201, r.text
            assert r.json().get("memory"), r.text
            assert TAUGHT in manifest.labels
            taught = _teach_unsure_siblings(client, frame, before, TAUGHT) if neighbours else 0
            yield {"taught": taught, "neighbours": neighbours, "client": client,
                   "frame": frame, "before": before, "template": template,
                   "source": frame.at[first, "source"], "label": new, "db": db,
                   "downstream": downstream, "tmp": tmp, "version": version,
                   "env": {k: str(v).lower() for k, v in extra.items()}}


def _teach_unsure_siblings(client: TestClient, frame: pd.DataFrame,
                           before: list[dict[str, Any]], label: str) -> int:
    """A team's convention, taught through the API: every template of the five systems'
    other Loghub lines that the model is unsure of (the fallback tier answers it) is
    corrected to `label`. None of the 200 lines' templates is corrected, so the 200 meet
    these corrections only as neighbours: an unsure line whose key is close to a corrected
    one follows it, by the rule the neighbour index chooses on these corrections (leave
    one out). Returns how many corrections were made."""
    shown = set(zip(frame["source"], frame["log_message"], strict=True))
    known = {r["template"] for r in before}
    others = pd.DataFrame([(system, message) for system in SYSTEMS
                           for message in loghub_structured(system)["Content"].astype(str)
                           if (system, message) not in shown],
                          columns=["source", "log_message"]).assign(level="")
    answers = json_door(client, others)
    unsure = {(others.at[i, "source"], a["template"]): (others.at[i, "log_message"],
                                                          a["target_label"])
              for i, a in enumerate(answers) if a["tier"] == "llm" and a["template"] not in known}
    for (source, _), (message, given) in sorted(unsure.items()):
        r = client.post("/v1/feedback", headers=ADMIN_HEADERS, json={
            "model": "log-classifier", "verdict": "correct", "correct_label": label,
            "predicted": given, "input": {"source": source, "log_message": message}})
        assert r.status_code == 201 and r.json().get("memory"), r.text
    return len(unsure)


def json_door(client: TestClient, frame: pd.DataFrame) -> list[dict[str, Any]]:
    logs = [{"source": s, "log_message": m, **({"level": lv} if lv else {})}
            for s, m, lv in frame[["source", "log_message", "level"]].itertuples(index=False)]
    r = client.post("/v1/logs/classify", json={"logs": logs})
    assert r.status_code == 200, r.text
    body = r.json()
    json_door.summary = body["summary"]  # type: ignore[attr-defined]
    return [_row({**p, "target_label": p["label"]}) for p in body["predictions"]]


def _csv_door(client: TestClient, frame: pd.DataFrame) -> tuple[list[str], list[dict[str, Any]]]:
    body = frame.to_csv(index=False)
    r = client.post("/v1/logs/classify/csv", files={"file": ("l.csv", body, "text/csv")})
    assert r.status_code == 200, r.text
    assert r.headers["X-Rows-In"] == "200" and r.headers["X-Rows-Refused"] == "0"
    return _csv_rows(r.text)


def _records(frame: pd.DataFrame) -> list[dict[str, str]]:
    return [{"source": s, "message": m, **({"level": lv} if lv else {})}
            for s, m, lv in frame[["source", "log_message", "level"]].itertuples(index=False)]


def _shipped(client: TestClient, body: bytes, kind: str) -> tuple[list[str], list[dict], dict]:
    r = client.post("/v1/logs/classify", content=body, headers={"Content-Type": kind})
    assert r.status_code == 200, r.text
    answer = r.json()
    columns = list(answer["records"][0])
    return columns, [_row(rec) for rec in answer["records"]], answer["summary"]


RAW_FORMAT = "<System>,<Level>,<Content>"


def _raw_text(frame: pd.DataFrame) -> str:
    return "".join(f"{s},{lv},{m}\n" for s, m, lv in
                   frame[["source", "log_message", "level"]].itertuples(index=False))


def _otlp_door(served: dict[str, Any]) -> list[dict[str, Any]]:
    frame, downstream = served["frame"], served["downstream"]
    downstream.records.clear()
    resource_logs = [{"resource": {"attributes": [{"key": "service.name",
                                                   "value": {"stringValue": s}}]},
                      "scopeLogs": [{"logRecords": [{"body": {"stringValue": m},
                                                     **({"severityText": lv} if lv else {})}]}]}
                     for s, m, lv in frame[["source", "log_message", "level"]].itertuples(
                         index=False)]
    r = served["client"].post("/v1/logs", content=json.dumps({"resourceLogs": resource_logs}),
                              headers={"Content-Type": otlp.JSON})
    assert r.status_code == 200, r.text
    assert len(downstream.records) == 200
    return [_row({name: rec.attributes.get(f"sift.{'label' if name == 'target_label' else name}")
                  for name in FIELDS}) for rec in downstream.records]


def _cli(served: dict[str, Any], monkeypatch: pytest.MonkeyPatch, *options: str,
         raw: bool = False) -> tuple[list[str], list[dict[str, Any]]]:
    """`sift classify-file` on the lines as a CSV table, or (`raw`) as a raw `.log` file
    read with the same format and source field as the API's raw doors."""
    if raw:
        source = served["tmp"] / "lines.log"
        source.write_text(_raw_text(served["frame"]), encoding="utf-8")
        options = (*options, "--log-format", RAW_FORMAT, "--source-field", "System")
    else:
        source = served["tmp"] / "lines.csv"
        served["frame"].to_csv(source, index=False)
    output = served["tmp"] / f"out-{len(options)}-{source.suffix[1:]}.csv"
    for key, value in {**ENV, "DATABASE_URL": served["db"], "MODELS_ROOT": str(REPO_MODELS),
                       "WRITER_TOKENS": "{}", "LOG_MODEL_VERSION": served["version"],
                       **served["env"]}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["classify-file", str(source), "--output",
                                              str(output), "--no-progress", *options],
                                    catch_exceptions=False)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return _csv_rows(output.read_text(encoding="utf-8"))


def _check_memory(served: dict[str, Any], answers: list[dict[str, Any]], door: str) -> None:
    """The corrected template answers from memory; the other lines as before."""
    hit = [i for i, r in enumerate(served["before"])
           if r["template"] == served["template"] and served["frame"].at[i, "source"]
           == served["source"]]
    assert len(hit) >= 2, "the corrected template should cover several of the 200 lines"
    for i in hit:
        assert answers[i]["tier"] == "feedback", (door, i, answers[i])
        assert answers[i]["target_label"] == served["label"] != served["before"][i][
            "target_label"], door


def test_every_door_gives_the_same_answer_after_a_correction(
        served: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    client, frame = served["client"], served["frame"]
    reference = json_door(client, frame)
    summary = json_door.summary  # type: ignore[attr-defined]
    _check_memory(served, reference, "json")
    tiers = {r["tier"] for r in reference}
    assert {"feedback", "model"} <= tiers, tiers  # memory, model
    if served["version"] == "v4":  # and the fallback tier (no v5 answer is unsure of these)
        assert "llm" in tiers, tiers
    if served["neighbours"]:  # and neighbours: unsure lines near a taught template follow it
        near = [r for r in reference if r["reason"].startswith("neighbour of correction")]
        assert near and all(r["target_label"] == TAUGHT for r in near), (
            served["taught"], [r for r in reference if r["tier"] == "feedback"][:5])
    assert any(r["template"] for r in reference)

    doors: dict[str, list[dict[str, Any]]] = {}
    columns: dict[str, list[str]] = {}
    summaries: dict[str, dict[str, Any]] = {}
    columns["csv"], doors["csv"] = _csv_door(client, frame)
    ndjson = "\n".join(json.dumps(r) for r in _records(frame)).encode()
    columns["ndjson"], doors["ndjson"], summaries["ndjson"] = _shipped(
        client, ndjson, "application/x-ndjson")
    columns["array"], doors["array"], summaries["array"] = _shipped(
        client, json.dumps(_records(frame)).encode(), "application/json")
    r = client.post(f"/v1/logs/classify?log_format={RAW_FORMAT}&source_field=System",
                    content=_raw_text(frame).encode(), headers={"Content-Type": "text/plain"})
    assert r.status_code == 200, r.text
    columns["text"] = r.json()["columns"]
    doors["text"] = [_row(rec) for rec in r.json()["records"]]
    summaries["text"] = r.json()["summary"]
    assert all(rec["parsed"] is True for rec in r.json()["records"])  # JSON booleans
    r = client.post("/v1/logs/classify/csv", files={"file": ("l.log", _raw_text(frame),
                                                             "text/plain")},
                    data={"log_format": RAW_FORMAT, "source_field": "System"})
    assert r.status_code == 200, r.text
    columns["raw_upload"], doors["raw_upload"] = _csv_rows(r.text)
    assert set(pd.read_csv(io.StringIO(r.text))["parsed"]) == {True}  # CSV True / False
    assert r.headers["X-Rows-In"] == "200"
    doors["otlp"] = _otlp_door(served)
    columns["cli_local"], doors["cli_local"] = _cli(served, monkeypatch)
    columns["cli_raw"], doors["cli_raw"] = _cli(served, monkeypatch, raw=True)
    assert columns["cli_raw"] == columns["raw_upload"]  # the parsed fields, then ours

    for door, answers in doors.items():
        assert len(answers) == 200, door
        _check_memory(served, answers, door)
        mismatched = [(i, a, b) for i, (a, b) in enumerate(zip(reference, answers, strict=True))
                      if a != b]
        assert not mismatched, (door, mismatched[:3])
    for door, names in columns.items():  # one set of result columns, `target_label`
        assert names[-len(RESULT_COLUMNS):] == list(RESULT_COLUMNS), (door, names)
    accounting = ("total", "classified", "abstained", "rows_in", "refused", "by_tier",
                  "by_label", "by_stage", "coverage")
    for door, found in summaries.items():
        assert {k: found[k] for k in accounting} == {k: summary[k] for k in accounting}, door
    assert summary["rows_in"] == summary["classified"] + summary["abstained"] + 0


@pytest.mark.slow
def test_ray_engine_applies_the_correction_too(served: dict[str, Any],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    reference = json_door(served["client"], served["frame"])
    names, answers = _cli(served, monkeypatch, "--engine", "ray", "--ray-cpus", "1",
                          "--workers", "1")
    assert names[-len(RESULT_COLUMNS):] == list(RESULT_COLUMNS)
    _check_memory(served, answers, "ray")
    assert answers == reference
