"""Raw log text and shipper records on the classify endpoints (issue 18, issue 16 item 3)."""

from __future__ import annotations

import gzip
import json

from fastapi.testclient import TestClient

from backend.core.config import PROJECT_ROOT
from backend.logs.columns import RESULT_COLUMNS

JAVA_LOG = (PROJECT_ROOT / "tests" / "data" / "rawlogs" / "java_stacktrace.log").read_bytes()
HDFS = (b"081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block "
        b"blk_38865049064139660 terminating\r\n"
        b"081109 204005 35 INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap "
        b"updated: 10.251.73.220:50010 is added to blk_7128370237687728475 size 67108864\r\n"
        b"this line has no header\r\n")
LABELS = RESULT_COLUMNS  # one set of result columns on every door (issue 25)


def test_text_body_is_parsed_by_format_and_labelled(client: TestClient) -> None:
    response = client.post("/v1/logs/classify?log_format=hdfs&multiline=false&source=hdfs-a",
                           content=HDFS, headers={"Content-Type": "text/plain"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["log_format"] == "hdfs"
    records = body["records"]
    assert len(records) == 3
    assert records[0]["Content"].startswith("PacketResponder 1 for block")
    assert records[0]["Level"] == "INFO" and records[0]["Pid"] == "148"
    assert records[0]["Component"] == "dfs.DataNode$PacketResponder"
    assert records[2]["parsed"] is False and records[2]["Content"] == "this line has no header"
    assert all(r["target_label"] and r["tier"] for r in records)
    assert [r["line"] for r in records] == [1, 2, 3]
    assert body["parse"]["unmatched"] == 1 and body["summary"]["total"] == 3
    assert any("did not match" in w for w in body["warnings"])


def test_text_body_auto_joins_stack_traces(client: TestClient) -> None:
    response = client.post("/v1/logs/classify?log_format=auto&source_field=Logger",
                           content=JAVA_LOG, headers={"Content-Type": "text/plain"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["log_format"] == "log4j" and "auto: chose log4j" in body["warnings"][0]
    assert [r["line_count"] for r in body["records"]] == [1, 1, 10, 1, 1, 6, 1, 4, 1]
    assert body["records"][2]["source"] == "com.example.shop.web.OrderController"


def test_log_upload_returns_fields_and_labels_as_csv(client: TestClient) -> None:
    files = {"file": ("app.log.gz", gzip.compress(JAVA_LOG), "application/gzip")}
    response = client.post("/v1/logs/classify/csv", files=files, data={"log_format": "log4j"})

    assert response.status_code == 200, response.text
    assert response.headers["X-Log-Format"] == "log4j"
    lines = response.text.splitlines()
    header = lines[0].split(",")
    assert header[:5] == ["line", "line_count", "parsed", "source", "Time"]
    assert header[-len(LABELS) - 1:] == ["Content", *LABELS]
    assert response.headers["X-Rows-In"] == "9" and response.headers["X-Lines-Joined"] == "17"
    assert ",app," in lines[1]  # source: the file name


def test_log_upload_json_when_asked(client: TestClient) -> None:
    files = {"file": ("hdfs.log", HDFS, "text/plain")}
    response = client.post("/v1/logs/classify/csv", files=files, data={"log_format": "auto"},
                           headers={"Accept": "application/json"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["log_format"] == "hdfs" and len(body["records"]) == 2  # 3rd line joined
    assert body["records"][1]["line_count"] == 2 and body["records"][1]["source"] == "hdfs"


def test_bad_format_is_a_422_that_says_what_to_fix(client: TestClient) -> None:
    response = client.post("/v1/logs/classify?log_format=[<Time>] <Content>", content=b"x\n",
                           headers={"Content-Type": "text/plain"})

    assert response.status_code == 422
    assert "\\[" in response.json()["detail"]


# --- NDJSON / JSON arrays as Vector and Fluent Bit send them -------------------------------

VECTOR_NDJSON = "\n".join([
    json.dumps({"message": "User User123 logged in.", "host": "crm-1", "source_type": "file",
                "file": "/var/log/crm.log", "timestamp": "2026-12-02T10:00:00Z"}),
    '{"message": "broken',  # line 2: cut off
    json.dumps({"message": "Backup completed successfully.", "host": "hr-1",
                "appname": "ModernHR", "timestamp": "2026-12-02T10:00:01Z"}),
    json.dumps(["not", "an", "object"]),  # line 4
    "",
    json.dumps({"timestamp": "2026-12-02T10:00:02Z"}),  # line 6: no message
]) + "\n"

FLUENT_BIT_ARRAY = [
    {"date": 1733133600.0, "log": "User User123 logged in.",
     "kubernetes": {"container_name": "crm", "namespace_name": "prod"}},
    {"date": 1733133601.0, "log": "Backup completed successfully.", "target_label": "mine"},
]


def test_ndjson_from_vector_classifies_good_lines_and_reports_bad_ones(
        client: TestClient) -> None:
    response = client.post("/v1/logs/classify", content=VECTOR_NDJSON.encode(),
                           headers={"Content-Type": "application/x-ndjson"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["line"] for r in body["rejected"]] == [2, 4, 6]
    assert "invalid JSON" in body["rejected"][0]["error"]
    assert "no message field" in body["rejected"][2]["error"]
    records = body["records"]
    assert [r["message"] for r in records] == ["User User123 logged in.",
                                               "Backup completed successfully."]
    assert records[0]["file"] == "/var/log/crm.log"  # the record comes back whole
    assert records[0]["target_label"] == "User Action" and records[0]["tier"] == "rules"
    assert body["summary"]["rows_in"] == 5 and body["summary"]["refused"] == 3
    assert body["summary"]["total"] == 2


def test_fluent_bit_json_array_with_nested_source_and_a_clashing_key(
        client: TestClient) -> None:
    response = client.post("/v1/logs/classify", json=FLUENT_BIT_ARRAY)

    assert response.status_code == 200, response.text
    body = response.json()
    first, second = body["records"]
    assert first["kubernetes"]["container_name"] == "crm"
    # one record has its own target_label: the result is sift_target_label in every record
    assert first["sift_target_label"] == "User Action" and "target_label" not in first
    assert second["target_label"] == "mine" and second["sift_target_label"]
    assert "sift_target_label" in body["warnings"][0]
    assert first["tier"] == "rules" and body["summary"]["total"] == 2
    assert body["rejected"] == []


def test_message_and_source_field_names_are_configurable(client: TestClient) -> None:
    lines = [{"text": "User User123 logged in.", "svc": "ModernCRM"},
             {"text": "Backup completed successfully.", "svc": "ModernHR"}]
    body = "\n".join(json.dumps(r) for r in lines)
    response = client.post("/v1/logs/classify?message_field=text&source_field=svc",
                           content=body, headers={"Content-Type": "application/x-ndjson"})

    assert response.status_code == 200, response.text
    records = response.json()["records"]
    assert [r["target_label"] for r in records][:1] == ["User Action"]
    assert response.json()["message_fields"] == ["text"]


def test_ndjson_with_no_usable_line_is_a_422(client: TestClient) -> None:
    response = client.post("/v1/logs/classify", content=b'{"a": 1}\nnot json\n',
                           headers={"Content-Type": "application/x-ndjson"})

    assert response.status_code == 422
    assert "message field" in response.json()["detail"]


def test_the_logs_object_still_works_and_bad_objects_are_422(client: TestClient) -> None:
    ok = client.post("/v1/logs/classify",
                     json={"logs": [{"source": "ModernCRM", "log_message": "User U1 logged in."}]})
    bad = client.post("/v1/logs/classify", json={"logs": "nope"})

    assert ok.status_code == 200 and ok.json()["predictions"][0]["label"] == "User Action"
    assert bad.status_code == 422


def test_ndjson_labelled_as_json_is_still_read_line_by_line(client: TestClient) -> None:
    lines = [{"log": "User User123 logged in."}, {"log": "Backup completed successfully."}]
    response = client.post("/v1/logs/classify", content="\n".join(map(json.dumps, lines)),
                           headers={"Content-Type": "application/json"})

    assert response.status_code == 200, response.text
    assert [r["log"] for r in response.json()["records"]] == [r["log"] for r in lines]


def test_text_options_are_documented_and_checked_only_on_the_text_path(
        client: TestClient) -> None:
    """The raw-text options are read from the query on the text path alone (a query model
    parsed them on every JSON call); Swagger still lists them, and a bad one is a 422."""
    documented = client.get("/openapi.json").json()["paths"]["/v1/logs/classify"]["post"]
    names = {p["name"] for p in documented["parameters"]}
    assert {"log_format", "multiline", "record_start", "source_field", "source"} <= names

    bad = client.post("/v1/logs/classify?log_format=hdfs&multiline=maybe", content=HDFS,
                      headers={"Content-Type": "text/plain"})
    assert bad.status_code == 422 and "multiline" in bad.json()["detail"]

    fine = client.post("/v1/logs/classify", json={"logs": [
        {"source": "hdfs", "log_message": "PacketResponder 1 for block blk_1 terminating"}]})
    assert fine.status_code == 200 and len(fine.json()["predictions"]) == 1


def test_model_choice_is_documented_on_every_log_route_and_checked(client: TestClient) -> None:
    """`?model=` is read by hand (a declared query parameter cost every call FastAPI's
    per-parameter work): Swagger lists it on each route that takes a log model, an
    unknown name is a 404 and an over-long one a 422, both problem+json."""
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (("/v1/logs/classify", "post"), ("/v1/logs/classify/csv", "post"),
                         ("/v1/logs", "post"), ("/v1/logs/jobs", "post"),
                         ("/v1/logs/patterns", "post")):
        assert "model" in {p["name"] for p in paths[path][method]["parameters"]}, path
    assert "model" not in {p["name"] for p in paths["/v1/tasks/categorize"]["post"]
                           .get("parameters", [])}

    body = {"logs": [{"source": "hdfs", "log_message": "PacketResponder 1 terminating"}]}
    unknown = client.post("/v1/logs/classify?model=no-such-model", json=body)
    assert unknown.status_code == 404 and "no-such-model" in unknown.json()["detail"]
    long = client.post(f"/v1/logs/classify?model={'x' * 129}", json=body)
    assert long.status_code == 422 and "129 characters" in long.json()["detail"]
