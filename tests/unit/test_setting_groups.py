"""Settings in nested groups with the environment names unchanged: every setting is in
exactly one group with its own type, and environment variables and `.env` entries land
in their group field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from backend.core.config import Settings
from backend.core.setting_groups import GROUPS
from backend.core.settings_doc import group_fields


def test_every_setting_is_in_exactly_one_group_with_its_type() -> None:
    seen: dict[str, list[str]] = {}
    for group, view in GROUPS.items():
        for name, field in view.model_fields.items():
            env = field.alias or name
            seen.setdefault(env, []).append(f"{group}.{name}")
            assert env in Settings.model_fields, f"{group}.{name} reads no setting {env}"
            assert field.annotation == Settings.model_fields[env].annotation, (
                f"{group}.{name} is {field.annotation}, {env} is "
                f"{Settings.model_fields[env].annotation}")
    assert {env: where for env, where in seen.items() if len(where) > 1} == {}
    assert sorted(seen) == sorted(Settings.model_fields)
    assert set(group_fields()) == set(Settings.model_fields)
    for group in GROUPS:  # Settings.<group> is the view of that name
        assert isinstance(getattr(Settings(), group), GROUPS[group])


def test_environment_names_land_in_their_group_field(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    env = {"PATTERNS_FLUSH_S": "7.5", "DRIFT_WINDOW_S": "120", "LLM_TIMEOUT_S": "3",
           "LLM_SOURCES": '["CRM", "Billing"]', "FEEDBACK_MEMORY": "false",
           "EMBEDDER": "gemini", "HF_TIMEOUT_S": "4", "DRIFT_RETRAIN_AFTER_S": "900",
           "OPENAI_API_KEY": "sk-test-0123456789", "METRICS_MAX_SOURCES": "7",
           "BASELINE_RECORDS": "300", "MAX_ROWS_PER_REQUEST": "10"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.patterns.flush_s == 7.5
    assert settings.patterns.baseline_records == 300
    assert settings.drift.window_s == 120.0
    assert settings.llm.timeout_s == 3.0
    assert settings.logs.llm_sources == ["CRM", "Billing"]
    assert settings.memory.enabled is False
    assert settings.embedder.kind == "gemini"
    assert settings.hub.timeout_s == 4.0
    assert settings.retrain.after_drift_s == 900.0
    assert settings.service.metrics_max_sources == 7
    assert settings.limits.max_rows_per_request == 10
    key = settings.llm.openai_api_key
    assert key is not None and key.get_secret_value() == "sk-test-0123456789"
    assert settings.PATTERNS_FLUSH_S == 7.5  # the flat name reads the same value


def test_dotenv_entries_land_in_their_group_field(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        'WRITER_TOKENS={"ops": "ops-token-0123456789"}\nJOB_CHUNK_ROWS=500\n'
        "FEEDBACK_MEMORY_SCOPE=global\nPATTERNS_ENABLED=false\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("WRITER_TOKENS", "JOB_CHUNK_ROWS", "FEEDBACK_MEMORY_SCOPE",
                 "PATTERNS_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.auth.writer_tokens["ops"].get_secret_value() == "ops-token-0123456789"
    assert settings.jobs.chunk_rows == 500
    assert settings.memory.scope == "global"
    assert settings.patterns.enabled is False


def test_group_views_are_read_only_and_follow_the_settings() -> None:
    settings = Settings(PATTERNS_FLUSH_S=2.0)
    with pytest.raises(ValidationError):
        settings.patterns.flush_s = 9.0  # type: ignore[misc]
    settings.PATTERNS_FLUSH_S = 3.0
    assert settings.patterns.flush_s == 3.0
