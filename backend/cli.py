"""The serving side's commands, for the `sift` root CLI (assembled in `training/cli.py`,
the one package allowed to import both sides).

Naming rule: each feature keeps its commands in `<package>/<feature>/commands.py`
(functions named `<verb>_cmd`); a `cli.py` only assembles them.
"""

from __future__ import annotations

import typer

from backend.api.commands import serve_cmd
from backend.bulk.commands import classify_file_cmd
from backend.core.commands import settings_table_cmd
from backend.registry import commands as registry


def add_serving_commands(app: typer.Typer) -> None:
    """Serve, document the settings, classify files, move model versions to/from the Hub."""
    app.command("serve")(serve_cmd)
    app.command("settings-table")(settings_table_cmd)
    app.command("classify-file")(classify_file_cmd)
    app.command("publish")(registry.publish_cmd)
    app.command("list-versions")(registry.list_versions_cmd)
    app.command("pull")(registry.pull_cmd)
