"""The typer application; each feature adds its commands here."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from backend.bulk.command import classify_file_cmd
from backend.core.config import PROJECT_ROOT, get_settings
from backend.core.logging import configure_logging
from training import registry
from training.steps import commands as steps_cli
from training.tasks import cli as task_cli

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

app = typer.Typer(help="sift: generate data, train and evaluate models, serve them.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)
logger = logging.getLogger("training")

DEFAULT_LOG_DATA_ROWS = 8000


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    configure_logging("DEBUG" if verbose else "INFO")


@app.command("generate-logs")
def generate_logs_cmd(
    output: Annotated[Path, typer.Option(help="CSV to write")] = Path("data/generated/logs.csv"),
    n: Annotated[int, typer.Option(help="number of rows")] = DEFAULT_LOG_DATA_ROWS,
    seed: Annotated[int, typer.Option(help="random seed")] = 42,
) -> None:
    """Write a seeded, labelled synthetic log dataset (source, log_message, target_label...)."""
    from training.logs.generator import generate_logs

    frame = generate_logs(n=n, seed=seed)
    output.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(output, index=False)
    typer.echo(f"wrote {len(frame)} rows, {frame['template_id'].nunique()} templates -> {output}")


@app.command("train-logs")
def train_logs_cmd(
    data: Annotated[Path, typer.Option(help="CSV with source, log_message, target_label")],
    group_column: Annotated[str | None, typer.Option(
        help="column that names the template (default: template_id if present, else the "
             "masked template key)")] = None,
    target_precision: Annotated[float, typer.Option(
        help="precision the abstain threshold must reach on held-out templates")] = 0.95,
    seed: Annotated[int, typer.Option()] = 42,
    name: Annotated[str | None, typer.Option(help="registry model name")] = None,
    static_model: Annotated[Path | None, typer.Option(
        help="distilled model2vec folder for the cascade's fast stage (default: the one "
             "shipped with the newest log model; `make distill` makes a new one)")] = None,
    cascade: Annotated[bool, typer.Option(
        help="train the fast stage too (--no-cascade: MiniLM for every key)")] = True,
    level_column: Annotated[str | None, typer.Option(
        help="column with the stated level (INFO, WARN, ERROR, ...): a feature of the model, "
             "read from parsed raw logs when serving")] = None,
) -> None:
    """Train the log classifier on any labelled CSV and publish a new registry version."""
    from backend.logs.service import build_embedder
    from backend.logs.static import StaticEmbedder, shipped_static_model
    from training.logs.train import LogTrainingArguments, train_logs

    settings = get_settings()
    if not data.is_file():
        raise typer.BadParameter(f"{data} does not exist", param_hint="--data")
    args = LogTrainingArguments(group_column=group_column, target_precision=target_precision,
                                seed=seed, llm_sources=tuple(settings.LLM_SOURCES),
                                level_column=level_column)
    static = None
    if cascade:
        folder = static_model or shipped_static_model(settings.MODELS_ROOT,
                                                      settings.LOG_MODEL_NAME)
        if folder is None:
            raise typer.BadParameter("no static model shipped in the registry; pass one "
                                     "(make distill) or --no-cascade", param_hint="--static-model")
        static = StaticEmbedder(folder)
    manifest = train_logs(data, settings, build_embedder(settings), args, name, static)
    m = manifest.metrics
    typer.echo(f"published {manifest.name} {manifest.version}: accuracy {m['accuracy']}, "
               f"macro-F1 {m['macro_f1']}, coverage {m['coverage_at_threshold']} at threshold "
               f"{m['threshold']:.3f} (held-out templates)")
    if "fast_share" in m:
        typer.echo(f"cascade: threshold {m['cascade_threshold']:.3f}, stage 1 answered "
                   f"{m['fast_share']:.1%} of model-tier rows; all-MiniLM accuracy "
                   f"{m['accuracy_all_minilm']} on the same rows")


@app.command("ensure-default-models")
def ensure_default_models() -> None:
    """Train the default models into models/ if the registry has none (used by `make run`)."""
    from backend.registry.local import LocalModelStore

    settings = get_settings()
    store = LocalModelStore(settings.MODELS_ROOT)
    if store.versions(settings.LOG_MODEL_NAME):
        typer.echo(f"{settings.LOG_MODEL_NAME}: {store.resolve(settings.LOG_MODEL_NAME)} present")
    else:
        data = PROJECT_ROOT / "data" / "generated" / "logs.csv"
        generate_logs_cmd(output=data, n=DEFAULT_LOG_DATA_ROWS, seed=42)
        train_logs_cmd(data=data, cascade=False)  # an empty registry ships no static model
    task_cli.ensure_default_task_model()
    steps_cli.ensure_default_step_model()


app.command("publish")(registry.publish_cmd)
app.command("list-versions")(registry.list_versions_cmd)
app.command("pull")(registry.pull_cmd)
app.command("generate-tasks")(task_cli.generate_tasks_cmd)
app.command("train-tasks")(task_cli.train_tasks_cmd)
app.command("retrain")(task_cli.retrain_cmd)
app.command("classify-file")(classify_file_cmd)
app.command("generate-steps")(steps_cli.generate_steps_cmd)
app.command("train-steps")(steps_cli.train_steps_cmd)
app.command("predict-steps")(steps_cli.predict_steps_cmd)


@app.command("settings-table")
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


@app.command("serve")
def serve(
    api_port: Annotated[int, typer.Option()] = 8000,
    ui_port: Annotated[int, typer.Option()] = 8501,
    host: Annotated[str, typer.Option(help="listen address; 0.0.0.0 only where the network "
                                           "is explicit (Docker)")] = "127.0.0.1",
    ui: Annotated[bool, typer.Option(help="start the Streamlit UI too")] = True,
) -> None:
    """Start the API (and the UI) and keep them running until Ctrl-C."""
    commands = [[sys.executable, "-m", "uvicorn", "backend.api.main:create_app", "--factory",
                 "--host", host, "--port", str(api_port), "--timeout-keep-alive", "75",
                 "--no-proxy-headers"]]  # trusted proxies: FORWARDED_ALLOW_IPS, in the app
    ui_app = PROJECT_ROOT / "frontend" / "app.py"
    if ui and ui_app.is_file():
        env_api = os.environ.setdefault("SIFT_API_URL", f"http://127.0.0.1:{api_port}")
        commands.append([sys.executable, "-m", "streamlit", "run", str(ui_app),
                         "--server.port", str(ui_port), "--server.address", host,
                         "--server.headless", "true", "--browser.gatherUsageStats", "false"])
        typer.echo(f"UI  -> http://localhost:{ui_port} (API {env_api})")
    typer.echo(f"API -> http://localhost:{api_port}  (Swagger: /docs)")
    procs = [subprocess.Popen(cmd, cwd=PROJECT_ROOT) for cmd in commands]
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    sys.exit(max((p.returncode or 0) for p in procs))
