"""`sift settings-table`: the table of every setting, from the settings' descriptions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def settings_table_cmd(
    write: Annotated[Path | None, typer.Option(
        help="rewrite the settings-table block of this file (e.g. README.md) in place")] = None,
) -> None:
    """Print the markdown table of every setting (default, description), or write it."""
    from backend.core.settings_doc import settings_table, write_settings_table

    if write is None:
        typer.echo(settings_table(), nl=False)
    else:
        changed = write_settings_table(write)
        typer.echo(f"{write}: {'updated' if changed else 'already up to date'}")
