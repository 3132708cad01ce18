"""Run `classify-file` in-process through the real typer app (the registry's default model)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from training.cli import app

RunCli = Callable[..., Result]


@pytest.fixture
def run_cli(default_model_dir: Path) -> RunCli:
    """`run_cli(input, output, *options)` -> the click Result (exit_code, stdout)."""
    runner = CliRunner()

    def run(source: Path, output: Path, *options: str) -> Result:
        args = ["classify-file", str(source), "--output", str(output), "--no-progress",
                *options]
        return runner.invoke(app, args, catch_exceptions=False)

    return run
