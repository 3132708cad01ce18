"""Validation and sorting of event frames (bad input gets a clear 422)."""

from __future__ import annotations

import pandas as pd
import pytest

from backend.core.errors import BadInputError
from backend.sessions.config import ColumnsConfig
from backend.sessions.features import prepare_events

COLS = ColumnsConfig()


def _frame(**overrides: list[object]) -> pd.DataFrame:
    data: dict[str, list[object]] = {
        "session_id": ["B", "A", "A", "B"],
        "timestamp": ["2026-01-01T10:00:05Z", "2026-01-01T10:00:09Z", "2026-01-01T10:00:01Z",
                      "2026-01-01T10:00:01Z"],
        "event_name": ["b2", "a2", "a1", "b1"]}
    data.update(overrides)
    return pd.DataFrame(data)


def test_sorts_by_session_then_time_and_keeps_order_map() -> None:
    ev = prepare_events(_frame(), COLS)
    assert ev.frame["event_name"].tolist() == ["a1", "a2", "b1", "b2"]
    assert ev.order.tolist() == [2, 1, 3, 0]
    assert ev.offsets.tolist() == [0, 2, 4]


def test_epoch_seconds_and_mixed_formats_parse() -> None:
    ev = prepare_events(_frame(timestamp=[5, 9, 1, 1]), COLS)
    assert ev.frame["event_name"].tolist() == ["a1", "a2", "b1", "b2"]
    mixed = _frame(timestamp=["2026-01-01 10:00:05", "01/01/2026 10:00:09",
                              "2026-01-01T10:00:01+00:00", "2026-01-01T10:00:01Z"])
    assert prepare_events(mixed, COLS).frame["event_name"].tolist()[:2] == ["a1", "a2"]


def test_missing_columns_are_named() -> None:
    with pytest.raises(BadInputError) as err:
        prepare_events(_frame().drop(columns=["timestamp"]), COLS, require=["window_title"])
    assert "'timestamp'" in err.value.detail and "'window_title'" in err.value.detail


def test_unsortable_timestamps_name_the_rows() -> None:
    with pytest.raises(BadInputError) as err:
        prepare_events(_frame(timestamp=["2026-01-01", "yesterday", "soon", "2026-01-02"]), COLS)
    assert "row(s) 2, 3" in err.value.detail and "'yesterday'" in err.value.detail


def test_empty_session_id_and_empty_input_rejected() -> None:
    with pytest.raises(BadInputError, match="session id"):
        prepare_events(_frame(session_id=["A", " ", None, "B"]), COLS)
    with pytest.raises(BadInputError, match="No events"):
        prepare_events(_frame().iloc[:0], COLS)
