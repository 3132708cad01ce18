"""The shipped log model on real lines (issue 23): routine lines of real systems that v4
called Security Alert or Critical Error are no problem label any more, and a line unlike
anything the model learnt is not answered with confidence: it abstains, below the served
threshold. The lines are real Loghub lines, sent through the raw-log door as a user's
upload would be (so `auto` finds the level where the format states one)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

PROBLEM_LABELS = {"Error", "Critical Error", "Security Alert", "Workflow Error"}

# (system, raw line) - copied from ../shared/data/loghub/<system>_2k.log
ROUTINE = [
    ("Apache", "[Sun Dec 04 04:51:08 2005] [notice] jk2_init() Found child 6725 in scoreboard "
               "slot 10"),
    ("Linux", "Jun 17 07:07:00 combo ftpd[29504]: connection from 24.54.76.216 "
              "(24-54-76-216.bflony.adelphia.net) at Fri Jun 17 07:07:00 2005 "),
    ("Linux", "Jun 19 04:08:57 combo cups: cupsd shutdown succeeded"),
    ("HDFS", "081109 204815 653 INFO dfs.DataNode$DataXceiver: Receiving block "
             "blk_5792489080791696128 src: /10.251.30.6:33145 dest: /10.251.30.6:50010"),
]


def _raw(client: TestClient, line: str) -> dict[str, object]:
    response = client.post("/v1/logs/classify?log_format=auto", content=line.encode(),
                           headers={"Content-Type": "text/plain"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert int(str(body["model_version"]).lstrip("v")) >= 5  # the default is v5 or later
    (record,) = body["records"]
    return {**record, "threshold": body["threshold"]}


@pytest.mark.parametrize(("system", "line"), ROUTINE, ids=[s for s, _ in ROUTINE])
def test_routine_real_lines_are_no_problem_label(client: TestClient, system: str,
                                                 line: str) -> None:
    answer = _raw(client, line)
    assert answer["target_label"] not in PROBLEM_LABELS, (system, answer)


@pytest.mark.parametrize("line", ROUTINE[0][1:] + ROUTINE[3][1:])
def test_routine_real_lines_without_their_level_are_no_problem_label(client: TestClient,
                                                                     line: str) -> None:
    message = line.split("] ", 2)[-1] if line.startswith("[") else line.split(": ", 1)[1]
    response = client.post("/v1/logs/classify", json={"logs": [
        {"source": "ops", "log_message": message}]})
    assert response.status_code == 200, response.text
    (answer,) = response.json()["predictions"]
    assert answer["label"] not in PROBLEM_LABELS, answer


@pytest.mark.parametrize("line", [
    "Die Katze schläft auf dem warmen Sofa neben dem offenen Fenster.",
    "qzx vrrm plok trundle wibbit snorf glemph",
    "the quick brown fox jumps over the lazy dog",
])
def test_a_line_unlike_anything_learnt_is_answered_below_the_threshold(client: TestClient,
                                                                       line: str) -> None:
    response = client.post("/v1/logs/classify", json={"logs": [
        {"source": "ops", "log_message": line}]})
    assert response.status_code == 200, response.text
    (answer,) = response.json()["predictions"]
    assert answer["label"] == "Unclassified" and answer["tier"] == "model", answer
    assert "below threshold" in answer["reason"], answer
