"""XES out: a tagged log written as XES and read back by PM4Py and by sift's own reader
keeps every event, its step, timestamp and every attribute."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backend.sessions.tagged import tagged_columns, tagged_xes
from backend.sessions.xes import read_xes
from tests.utils.data import shared_file

CASE, TIME = "case:concept:name", "time:timestamp"
SIFT = {"confidence": "sift:confidence", "abstained": "sift:abstained",
        "predicted_step": "sift:predicted_step", "reason": "sift:reason",
        "model_version": "sift:model_version"}


def _tag(log: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """sift's output columns as the tagging endpoints append them (every 5th abstained)."""
    rng = np.random.default_rng(seed)
    abstained = np.arange(len(log)) % 5 == 2
    guess = log["concept:name"] if "concept:name" in log else pd.Series("Step A", log.index)
    return log.assign(
        step_name=np.where(abstained, "Unclassified", guess),
        confidence=rng.uniform(0, 1, len(log)).round(4).astype(str),
        abstained=np.where(abstained, "True", "False"), predicted_step=guess,
        reason=np.where(abstained, "confidence below 0.72", ""), model_version="v3")


@pytest.fixture(scope="module")
def bpi() -> pd.DataFrame:
    log = pd.read_csv(shared_file("eventlogs/BPI2013_closed.csv"), dtype=str,
                      keep_default_na=False)
    return _tag(log)


def _check_round_trip(tagged: pd.DataFrame, back: pd.DataFrame, case: str) -> None:
    """`back` (read from the XES) holds every row of `tagged` under the documented keys."""
    assert len(back) == len(tagged)
    back = back.assign(row=back["sift:row"].astype(int)).set_index("row").sort_index()
    assert back.index.tolist() == list(range(len(tagged)))
    assert back["concept:name"].tolist() == tagged["step_name"].tolist()
    assert back["case:concept:name"].astype(str).tolist() == tagged[case].str.strip().tolist()
    sent = pd.to_datetime(tagged[TIME if TIME in tagged else "timestamp"], utc=True,
                          format="ISO8601")
    got = pd.to_datetime(back["time:timestamp"], utc=True, format="ISO8601")
    assert (got.to_numpy() == sent.to_numpy()).all()
    abstained = back["sift:abstained"].astype(str).str.lower() == "true"
    assert abstained.tolist() == (tagged["abstained"] == "True").tolist()
    assert (back.loc[abstained, "concept:name"] == "Unclassified").all()
    assert np.allclose(back["sift:confidence"].astype(float), tagged["confidence"].astype(float))
    for name in ("predicted_step", "model_version"):
        assert back[SIFT[name]].astype(str).tolist() == tagged[name].tolist()
    reason = back["sift:reason"].where(back["sift:reason"].notna(), "").astype(str)
    assert reason.tolist() == tagged["reason"].tolist()
    plain = [c for c in tagged.columns if c not in (*SIFT, "step_name", TIME, CASE)]
    for column in plain:
        key = "original:concept:name" if column == "concept:name" else column
        values = back[key].where(back[key].notna(), "").astype(str)
        assert values.tolist() == tagged[column].tolist(), column


def test_bpi2013_round_trip_through_sifts_reader(bpi: pd.DataFrame) -> None:
    export = tagged_xes(bpi, tagged_columns(bpi, CASE, TIME))
    assert export.traces == 1487 and export.events == 6660 and not export.warnings
    back = read_xes(export.text.encode())
    _check_round_trip(bpi, back, CASE)
    assert "lifecycle:transition" in back.columns and "original:concept:name" in back.columns


def test_bpi2013_round_trip_through_pm4py(bpi: pd.DataFrame, tmp_path: Path) -> None:
    pm4py = pytest.importorskip("pm4py")
    path = tmp_path / "tagged.xes"
    path.write_text(tagged_xes(bpi, tagged_columns(bpi, CASE, TIME)).text, encoding="utf-8")
    back = pm4py.read_xes(str(path))
    _check_round_trip(bpi, back, CASE)
    assert back["sift:confidence"].dtype.kind == "f" and back["sift:abstained"].dtype == bool
    assert pm4py.get_event_attribute_values(back, "concept:name")["Unclassified"] == \
        (bpi["step_name"] == "Unclassified").sum()


def test_csv_log_with_awkward_values_round_trips(tmp_path: Path) -> None:
    """A CSV-style log (session_id, timestamp): the case and time columns come back under
    their own names too; quotes, ampersands, newlines and spaces survive; control
    characters are replaced and counted."""
    log = pd.DataFrame({
        "session_id": ["S1", "S1", "S2", "S2", "S1"],
        "timestamp": ["2026-01-05T08:00:03Z", "2026-01-05T08:00:01Z", "2026-01-05T09:00:00Z",
                      "2026-01-05T09:00:00.250Z", "2026-01-05T08:00:02Z"],
        "event_name": ["open <mail>", 'say "hi" & go', " padded ", "two\nlines", ""],
        "case:channel": ["web", "web", "phone", "phone", "web"],
        "case:agent": ["a", "b", "c", "c", "a"],  # varies within S1: an event attribute
    })
    tagged = _tag(log)
    export = tagged_xes(tagged, tagged_columns(tagged, "session_id", "timestamp"))
    back = read_xes(export.text.encode())
    _check_round_trip(tagged.assign(**{CASE: tagged["session_id"]}), back, CASE)
    assert back.set_index("sift:row").loc["0", "case:channel"] == "web"
    bad = tagged.assign(event_name=["bell\x07", "ok", "ok", "ok", "ok"])
    export = tagged_xes(bad, tagged_columns(bad, "session_id", "timestamp"))
    assert export.warnings and "1 character" in export.warnings[0]
    again = read_xes(export.text.encode()).set_index("sift:row")
    assert again.loc["0", "event_name"] == "bell\ufffd"
    pm4py = pytest.importorskip("pm4py")
    path = tmp_path / "csvlog.xes"
    path.write_text(export.text, encoding="utf-8")
    assert len(pm4py.read_xes(str(path))) == 5
