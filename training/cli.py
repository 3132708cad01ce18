"""The `sift` command (also `python -m training`): the serving commands from
`backend/cli.py` plus each training feature's `commands.py`, assembled here because
training is the package allowed to import both sides.
"""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer

from backend.cli import add_serving_commands
from backend.core.logging import configure_logging
from training import commands as retrain_cli
from training.logs import commands as logs_cli
from training.steps import commands as steps_cli
from training.tasks import commands as task_cli

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

app = typer.Typer(help="sift: serve the models, classify files, generate data, train and "
                       "evaluate models.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)
logger = logging.getLogger("training")


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    configure_logging("DEBUG" if verbose else "INFO")


@app.command("ensure-default-models")
def ensure_default_models() -> None:
    """Train the default models into models/ if the registry has none (used by `make run`)."""
    logs_cli.ensure_default_log_model()
    task_cli.ensure_default_task_model()
    steps_cli.ensure_default_step_model()


add_serving_commands(app)
app.command("generate-logs")(logs_cli.generate_logs_cmd)
app.command("train-logs")(logs_cli.train_logs_cmd)
app.command("real-logs-data")(logs_cli.real_logs_data_cmd)
app.command("generate-tasks")(task_cli.generate_tasks_cmd)
app.command("train-tasks")(task_cli.train_tasks_cmd)
app.command("retrain")(retrain_cli.retrain_cmd)
app.command("generate-steps")(steps_cli.generate_steps_cmd)
app.command("train-steps")(steps_cli.train_steps_cmd)
app.command("predict-steps")(steps_cli.predict_steps_cmd)


def main() -> None:
    """Entry point of the `sift` console script."""
    app()
