"""Header matching: one normalisation on both sides, for required and optional columns."""

from __future__ import annotations

import pytest

from sift_tables import TableError, match_columns, normalize_header


@pytest.mark.parametrize(("name", "expected"), [
    ("Case ID", "case_id"), ("Complete Timestamp", "complete_timestamp"),
    ("case:concept:name", "case_concept_name"), ("\ufeff Log.Message ", "log_message"),
    ("LOG_MESSAGE", "log_message"), ("log-message", "log_message"), ("Action  Type", "action_type"),
])
def test_normalize_header_folds_case_spaces_colons_dots_underscores(name: str,
                                                                     expected: str) -> None:
    assert normalize_header(name) == expected


def test_match_columns_maps_required_and_optional_the_same_way() -> None:
    mapping = match_columns(["Session ID", "Action Type", "notes"], ["session_id"],
                            ["action_type", "target_app"])
    assert mapping == {"Session ID": "session_id", "Action Type": "action_type"}


def test_defect5_duplicate_after_normalisation_refused_by_name() -> None:
    with pytest.raises(TableError) as err:
        match_columns(["source", "log_message", "Log Message"], ["source", "log_message"])
    assert "'log_message', 'Log Message'" in err.value.message
    assert err.value.status == 422 and err.value.extra["duplicate_columns"] == ["log_message"]


def test_duplicate_optional_column_refused_too() -> None:
    with pytest.raises(TableError, match="action_type"):
        match_columns(["session_id", "action_type", "Action Type"], ["session_id"],
                      ["action_type"])


def test_missing_column_names_near_misses() -> None:
    with pytest.raises(TableError) as err:
        match_columns(["src", "log_mesage"], ["source", "log_message"])
    assert "'log_mesage' looks like a misspelling of 'log_message'" in err.value.message
    assert err.value.extra["missing_columns"] == ["source", "log_message"]
