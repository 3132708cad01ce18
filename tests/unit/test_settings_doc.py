"""Every setting is documented once (its Field description) and shown everywhere it must be."""

import re

import pytest

from backend.core.config import PROJECT_ROOT, Settings
from backend.core.settings_doc import END, START, replace_block, settings_table


def test_settings_every_field_has_a_description() -> None:
    missing = [name for name, field in Settings.model_fields.items()
               if not (field.description or "").strip()]
    assert missing == [], f"give these settings a Field(description=...): {missing}"


def test_settings_readme_table_is_current() -> None:
    readme = (PROJECT_ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert replace_block(readme, settings_table()) == readme, (
        "docs/settings.md's settings table is stale: run `make settings-table`")


def test_settings_env_example_lists_every_field() -> None:
    text = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
    missing = [name for name in Settings.model_fields if name not in listed]
    assert missing == [], f"add these settings to .env.example with their default: {missing}"


def test_settings_table_hides_secrets_and_shows_project_paths_relative() -> None:
    rows = {line.split(" | ")[0]: line for line in settings_table().splitlines()}
    assert rows["| `API_TOKEN`"].startswith("| `API_TOKEN` | - |")
    assert "| `RULES_PATH` | `configs/rules.yaml` |" in rows["| `RULES_PATH`"]
    assert '| `LLM_SOURCES` | `["LegacyCRM"]` |' in rows["| `LLM_SOURCES`"]
    assert str(PROJECT_ROOT) not in settings_table()


def test_settings_replace_block_rewrites_only_between_markers() -> None:
    text = f"intro\n{START}\nold table\n{END}\noutro\n"
    assert replace_block(text, "| new |\n") == f"intro\n{START}\n\n| new |\n\n{END}\noutro\n"
    with pytest.raises(ValueError, match="settings-table"):
        replace_block("no markers here", "| new |\n")
