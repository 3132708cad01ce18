"""The template key is part of the answer (issue 26): the JSON and CSV doors carry it per
line, and OTLP records come out with `sift.template`; lines of one pattern share it."""

from __future__ import annotations

from backend.core.normalize import template_key
from tests.pipelines.conftest import AppFactory
from tests.pipelines.otlp_requests import export_request
from tests.utils.otlp_double import OTLPReceiverDouble

LINES = ["User User123 logged in.", "User User9 logged in.",
         "Payment gateway timeout after 30s for invoice 8812"]
PB = {"Content-Type": "application/x-protobuf"}


def test_json_and_csv_answers_carry_the_template(make_client: AppFactory) -> None:
    body = "source,log_message\n" + "".join(f"svc,{m}\n" for m in LINES)
    with make_client() as client:
        json_door = client.post("/v1/logs/classify", json={"logs": [
            {"source": "svc", "log_message": m} for m in [*LINES, ""]]}).json()
        csv_door = client.post("/v1/logs/classify/csv", headers={"Accept": "application/json"},
                               files={"file": ("a.csv", body, "text/csv")}).json()
    for answer in (json_door, csv_door):
        templates = [p["template"] for p in answer["predictions"]]
        assert templates[:3] == [template_key(m) for m in LINES]
        assert templates[0] == templates[1] == "user <user> logged in."
    assert json_door["predictions"][3]["template"] is None  # an empty line has none


def test_otlp_records_carry_sift_template(make_client: AppFactory,
                                          downstream: OTLPReceiverDouble) -> None:
    with make_client(OTLP_FORWARD_ENDPOINT=downstream.url) as client:
        r = client.post("/v1/logs", content=export_request([("svc", LINES)]).SerializeToString(),
                        headers=PB)
    assert r.status_code == 200
    assert [rec.attributes["sift.template"] for rec in downstream.records] == [
        template_key(m) for m in LINES]
