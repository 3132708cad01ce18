"""The feedback memory through the real API and a real SQLite file: one correction labels
its whole template in the writer's next request, undo restores the model, the store is
shared by workers and survives restarts, and per-source scope stops cross-source poisoning.
(Who else a writer's corrections answer is in tests/security/test_writer_model.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.registry.local import LocalModelStore
from tests.utils.auth import WRITER_HEADERS, writer_settings
from tests.utils.factories import make_settings

LINE = {"source": "BillingSystem", "log_message": "Payment service crashed with exit code 137"}
SAME_TEMPLATE = [{"source": "BillingSystem", "log_message": f"Payment service crashed with "
                                                            f"exit code {n}"}
                 for n in (1, 9, 255, 40000)]
OTHER = {"source": "ModernCRM", "log_message": "Brute force attack suspected from IP 10.2.3.4"}
ADMIN = "admin-token-0123456789abcdef"


def _app(store: LocalModelStore, db: Path, **overrides: Any) -> TestClient:
    settings = make_settings(store.root, RATE_LIMIT="off", LOG_FORMAT="text",
                             DATABASE_URL=f"sqlite:///{db}", API_TOKEN=ADMIN,
                             **writer_settings(), **overrides)
    return TestClient(create_app(settings, load_in_background=False))


def _answers(client: TestClient, logs: list[dict[str, str]],
             headers: dict[str, str] = WRITER_HEADERS) -> list[dict[str, Any]]:
    """The answers to the writer's own request (its corrections answer it)."""
    r = client.post("/v1/logs/classify", json={"logs": logs}, headers=headers)
    assert r.status_code == 200, r.text
    return list(r.json()["predictions"])


def _correct(client: TestClient, line: dict[str, str], label: str) -> dict[str, Any]:
    r = client.post("/v1/feedback", headers=WRITER_HEADERS, json={
        "model": "log-classifier", "input": line, "predicted": "Error", "verdict": "correct",
        "correct_label": label})
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_one_correction_labels_its_template_at_once_and_undo_restores(
        tiny_store: LocalModelStore, tmp_path: Path):
    with _app(tiny_store, tmp_path / "fb.db") as client:
        before = _answers(client, [LINE, *SAME_TEMPLATE, OTHER])
        assert before[0]["label"] != "Security Alert" and before[0]["tier"] == "model"
        body = _correct(client, LINE, "Security Alert")
        entry = body["memory"]
        assert entry["scope"] == "BillingSystem" and entry["label"] == "Security Alert"

        after = _answers(client, [LINE, *SAME_TEMPLATE, OTHER])
        for p in after[:-1]:  # the line and every line of its template, next request
            assert (p["label"], p["tier"]) == ("Security Alert", "feedback"), p
            assert f"correction {entry['id']}" in p["reason"]
        assert after[-1] == before[-1]  # another template: untouched

        listed = client.get("/v1/feedback/memory", headers=WRITER_HEADERS).json()["entries"]
        assert [e["id"] for e in listed] == [entry["id"]]
        assert client.delete(f"/v1/feedback/memory/{entry['id']}").status_code == 401
        r = client.delete(f"/v1/feedback/memory/{entry['id']}", headers=WRITER_HEADERS)
        assert r.status_code == 200 and r.json()["active"] is False
        assert _answers(client, [LINE, *SAME_TEMPLATE, OTHER]) == before  # model's answer
        assert client.get("/v1/feedback/memory",
                          headers=WRITER_HEADERS).json()["entries"] == []
        assert client.delete("/v1/feedback/memory/999", headers=WRITER_HEADERS
                             ).status_code == 404


def test_memory_is_shared_by_workers_and_survives_a_restart(tiny_store: LocalModelStore,
                                                            tmp_path: Path):
    db = tmp_path / "fb.db"
    with _app(tiny_store, db, FEEDBACK_MEMORY_REFRESH_S=0.0) as other_worker:
        assert _answers(other_worker, [LINE])[0]["tier"] == "model"
        with _app(tiny_store, db) as worker:
            _correct(worker, LINE, "Security Alert")
        # another process on the same store, answered within its refresh time (0 s here)
        assert _answers(other_worker, SAME_TEMPLATE[:1])[0]["label"] == "Security Alert"
    with _app(tiny_store, db) as restarted:
        assert _answers(restarted, [LINE])[0]["tier"] == "feedback"


def test_per_source_scope_stops_cross_source_poisoning(tiny_store: LocalModelStore,
                                                       tmp_path: Path):
    victims = [LINE, *SAME_TEMPLATE, OTHER,
               {"source": "BillingSystem", "log_message": "Payment service failed with exit "
                                                         "code 3"}]
    with _app(tiny_store, tmp_path / "fb.db") as client:
        before = _answers(client, victims)
        # another source corrects the same templates (and near ones) to a wrong label, many
        # times: enough corrections for the neighbour tier to be considered
        for tag in ("at once", "again", "now"):
            for line in victims:
                poisoned = {"source": "EvilSource", "log_message": f"{line['log_message']} {tag}"}
                _correct(client, poisoned, "Critical Error")
        assert _answers(client, victims) == before
        evil = _answers(client, [{"source": "EvilSource",
                                  "log_message": f"{LINE['log_message']} now"}])
        assert evil[0]["label"] == "Critical Error"  # its own scope did change


def test_global_scope_applies_to_every_source(tiny_store: LocalModelStore, tmp_path: Path):
    with _app(tiny_store, tmp_path / "fb.db", FEEDBACK_MEMORY_SCOPE="global") as client:
        entry = _correct(client, LINE, "Security Alert")["memory"]
        assert entry["scope"] == "*"
        moved = {"source": "ModernHR", "log_message": SAME_TEMPLATE[0]["log_message"]}
        assert _answers(client, [moved])[0]["label"] == "Security Alert"  # the writer's own
        assert _answers(client, [moved], headers={})[0]["tier"] == "model"  # not everyone's


def test_memory_off_and_unknown_labels_are_not_remembered(tiny_store: LocalModelStore,
                                                         tmp_path: Path):
    with _app(tiny_store, tmp_path / "a.db", FEEDBACK_MEMORY=False) as client:
        assert _correct(client, LINE, "Security Alert")["memory"] is None
        assert _answers(client, [LINE])[0]["tier"] == "model"
    with _app(tiny_store, tmp_path / "b.db") as client:
        r = client.post("/v1/feedback", headers=WRITER_HEADERS, json={
            "model": "log-classifier", "input": LINE, "predicted": "Error",
            "verdict": "correct", "correct_label": "Billing Trouble"})
        assert r.status_code in (201, 202), r.text
        assert r.json().get("memory") is None
        assert _answers(client, [LINE])[0]["tier"] == "model"


def test_a_labelled_upload_gets_agreement_and_keeps_its_label_column(
        tiny_store: LocalModelStore, tmp_path: Path):
    csv = ("source,log_message,target_label\n"
           "BillingSystem,Payment service crashed with exit code 3,Critical Error\n"
           "ModernCRM,Brute force attack suspected from IP 10.2.3.4,Security Alert\n"
           "ModernHR,Disk usage at 97% on volume 2,\n")
    with _app(tiny_store, tmp_path / "fb.db") as client:
        files = {"file": ("mine.csv", csv.encode(), "text/csv")}
        body = client.post("/v1/logs/classify/csv", files=files,
                           headers={"Accept": "application/json"}).json()
        figures = body["agreement"]
        labels = [p["label"] for p in body["predictions"]]
        truth = ["Critical Error", "Security Alert"]
        agree = [t == p for t, p in zip(truth, labels[:2], strict=True)]
        assert figures["labelled_rows"] == 2 and figures["accuracy"] == sum(agree) / 2
        assert figures["disagreements"] == [i for i, ok in enumerate(agree) if not ok]
        r = client.post("/v1/logs/classify/csv", files=files)
        assert r.headers["X-Agreement-Rows"] == "2"
        header = r.text.splitlines()[0].split(",")
        assert header[:3] == ["source", "log_message", "target_label"]  # input kept
        assert header.count("target_label") == 1
        plain = {"file": ("plain.csv", b"source,log_message\nA,Disk full on node 3\n",
                          "text/csv")}
        assert client.post("/v1/logs/classify/csv", files=plain, headers={
            "Accept": "application/json"}).json()["agreement"] is None
