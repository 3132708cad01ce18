"""The table of every setting in docs/settings.md, generated from `Settings` (one place
per fact)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from backend.core.config import PROJECT_ROOT, Settings
from backend.core.setting_groups import GROUPS

START = "<!-- settings-table:start -->"
END = "<!-- settings-table:end -->"


def _default(field: FieldInfo) -> str:
    """The default as one would write it in `.env`: `-` for secrets and unset values."""
    kinds = getattr(field.annotation, "__args__", ()) or (field.annotation,)
    if SecretStr in kinds:
        return "-"
    value: Any = field.get_default(call_default_factory=True)
    if value is None:
        return "-"
    if isinstance(value, Path):
        text = value.relative_to(PROJECT_ROOT).as_posix() if value.is_relative_to(PROJECT_ROOT) \
            else value.as_posix()
    elif isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, list | dict):
        text = json.dumps(value)
    else:
        text = str(value).replace(f"{PROJECT_ROOT.as_posix()}/", "")
    return f"`{text}`"


def group_fields() -> dict[str, str]:
    """Environment name -> where the code reads it grouped (`patterns.flush_s`)."""
    return {field.alias or name: f"{group}.{name}" for group, view in GROUPS.items()
            for name, field in view.model_fields.items()}


def settings_table() -> str:
    """A markdown table: setting | default | description | group field, in declaration
    order."""
    grouped = group_fields()
    rows = ["| setting | default | description | read as |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        description = (field.description or "").replace("|", "\\|").replace("<", "&lt;")
        rows.append(f"| `{name}` | {_default(field)} | {description} | "
                    f"`settings.{grouped[name]}` |")
    return "\n".join(rows) + "\n"


def replace_block(text: str, table: str) -> str:
    """`text` with the part between the settings-table markers replaced by `table`."""
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise ValueError(f"no {START} ... {END} block to replace")
    return f"{head}{START}\n\n{table}\n{END}{tail}"


def write_settings_table(path: Path) -> bool:
    """Rewrite the block in `path` in place; True when it changed."""
    old = path.read_text(encoding="utf-8")
    new = replace_block(old, settings_table())
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old
