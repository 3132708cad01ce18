"""Log classification endpoints with the default model: JSON, CSV, alias, content types."""

from __future__ import annotations

import pandas as pd
from fastapi.testclient import TestClient

from tests.utils.http import assert_problem, post_csv, read_csv_rows

LOGS = [
    {"source": "ModernCRM", "log_message": "User User123 logged in."},
    {"source": "ComputeCloud", "log_message":
        'nova.osapi_compute.wsgi.server [req-b9718cd8] 10.11.10.1 "GET /v2/servers/detail '
        'HTTP/1.1" status: 200 len: 1893 time: 0.2477829'},
    {"source": "LegacyCRM", "log_message": "Lead conversion failed for prospect ID 7842 due "
                                           "to missing contact information."},
    {"source": "BillingSystem", "log_message": ""},
    {"source": "ModernHR", "log_message": "Backup completed successfully."},
    {"source": "AnalyticsEngine", "log_message": None},
]
OUTPUT_COLUMNS = ["target_label", "confidence", "tier", "model_version", "reason", "stage",
                  "template"]


def _csv(rows: list[tuple[str, str]], header: str = "source,log_message") -> bytes:
    frame = pd.DataFrame(rows, columns=header.split(","))
    return frame.to_csv(index=False).encode()


def test_json_classify_answers_every_row_in_order(client: TestClient) -> None:
    response = client.post("/v1/logs/classify", json={"logs": LOGS})
    assert response.status_code == 200
    body = response.json()
    predictions = body["predictions"]
    assert [(p["source"], p["log_message"]) for p in predictions] == [
        (r["source"], r["log_message"] or "") for r in LOGS]
    assert [p["tier"] for p in predictions][:1] == ["rules"]
    assert predictions[0]["label"] == "User Action" and predictions[0]["confidence"] == 1.0
    assert predictions[2]["tier"] == "llm"
    assert predictions[3]["label"] == predictions[5]["label"] == "Unclassified"
    assert predictions[3]["reason"] == "empty log_message"
    assert predictions[4]["label"] == "System Notification"
    for p in predictions:
        assert p["model_version"] == body["model_version"]
        assert (p["label"] == "Unclassified") == (p["reason"] is not None)


def test_json_summary_has_coverage_and_counts(client: TestClient) -> None:
    body = client.post("/v1/logs/classify", json={"logs": LOGS}).json()
    summary, predictions = body["summary"], body["predictions"]
    labelled = [p for p in predictions if p["label"] != "Unclassified"]
    assert summary["total"] == len(LOGS) and summary["classified"] == len(labelled)
    assert summary["coverage"] == round(len(labelled) / len(LOGS), 4)
    assert sum(summary["by_tier"].values()) == sum(summary["by_label"].values()) == len(LOGS)
    assert summary["by_tier"]["rules"] == 2 and summary["by_tier"]["none"] == 2
    assert summary["by_label"]["User Action"] == 1
    assert 0.0 < body["threshold"] <= 1.0


def test_json_threshold_changes_abstention(client: TestClient) -> None:
    logs = [{"source": "BillingSystem", "log_message": "Disk 3 failed on node 7"}]
    strict = client.post("/v1/logs/classify", json={"logs": logs, "threshold": 1.0}).json()
    lenient = client.post("/v1/logs/classify", json={"logs": logs, "threshold": 0.0}).json()
    assert strict["threshold"] == 1.0 and lenient["threshold"] == 0.0
    assert strict["predictions"][0]["label"] == "Unclassified"
    assert "below threshold 1.00" in strict["predictions"][0]["reason"]
    assert lenient["predictions"][0]["label"] != "Unclassified"


def test_json_empty_list_gives_empty_answer(client: TestClient) -> None:
    body = client.post("/v1/logs/classify", json={"logs": []}).json()
    assert body["predictions"] == [] and body["summary"]["coverage"] == 0.0


def test_json_wrong_shapes_are_problem_json(client: TestClient) -> None:
    assert_problem(client.post("/v1/logs/classify", json={"logs": "x"}), 422, "logs")
    assert_problem(client.post("/v1/logs/classify", json={"rows": []}), 422, "logs")
    assert_problem(client.post("/v1/logs/classify", json={"logs": [], "threshold": 3}), 422,
                   "threshold")
    assert_problem(client.post("/v1/logs/classify", content=b"{not json",
                               headers={"Content-Type": "application/json"}), 422)


def test_csv_endpoint_appends_columns_and_keeps_order(client: TestClient) -> None:
    rows = [(r["source"], r["log_message"] or "") for r in LOGS]
    response = post_csv(client, _csv(rows))
    assert response.status_code == 200
    out = read_csv_rows(response)
    assert list(out[0]) == ["source", "log_message", *OUTPUT_COLUMNS]
    assert [(r["source"], r["log_message"]) for r in out] == rows
    assert out[0]["target_label"] == "User Action" and out[0]["tier"] == "rules"
    assert float(out[0]["confidence"]) == 1.0 and out[0]["reason"] == ""
    assert out[3]["target_label"] == "Unclassified" and out[3]["reason"] == "empty log_message"
    assert {r["model_version"] for r in out} == {response.headers["x-model-version"]}
    assert 'filename="classified.csv"' in response.headers["content-disposition"]
    labelled = sum(r["target_label"] != "Unclassified" for r in out)
    assert float(response.headers["x-coverage"]) == round(labelled / len(out), 4)


def test_csv_endpoint_gives_json_when_asked(client: TestClient) -> None:
    rows = [("ModernCRM", "User bob logged out"), ("X", "")]
    response = post_csv(client, _csv(rows), accept="application/json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert [p["log_message"] for p in body["predictions"]] == ["User bob logged out", ""]
    assert body["summary"]["by_tier"] == {"rules": 1, "none": 1}


def test_csv_endpoint_prefers_csv_when_both_accepted(client: TestClient) -> None:
    response = post_csv(client, _csv([("A", "User a logged in.")]),
                        accept="text/csv, application/json")
    assert response.headers["content-type"].startswith("text/csv")


def test_classify_alias_returns_the_same_csv(client: TestClient) -> None:
    data = _csv([(r["source"], r["log_message"] or "") for r in LOGS])
    alias = post_csv(client, data, path="/classify")
    main = post_csv(client, data)
    assert alias.status_code == 200
    assert alias.text == main.text


def test_csv_threshold_form_field(client: TestClient) -> None:
    data = _csv([("BillingSystem", "Disk 3 failed on node 7")])
    out = read_csv_rows(post_csv(client, data, threshold="1.0"))
    assert out[0]["target_label"] == "Unclassified"
    assert_problem(post_csv(client, data, threshold="2"), 422, "threshold")


def test_missing_file_field_is_problem_json(client: TestClient) -> None:
    assert_problem(client.post("/v1/logs/classify/csv"), 422, "file")


def test_openapi_has_examples_for_log_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/v1/logs/classify" in spec["paths"] and "/classify" in spec["paths"]
    body = spec["paths"]["/v1/logs/classify"]["post"]["requestBody"]["content"]
    request_schema = body["application/json"]["schema"]["anyOf"][0]  # the {logs: [...]} shape
    assert request_schema["examples"][0]["logs"]
    assert "application/x-ndjson" in body and "text/plain" in body
    csv_op = spec["paths"]["/v1/logs/classify/csv"]["post"]
    assert "example" in csv_op["responses"]["200"]["content"]["text/csv"]
