"""CLI commands for the step tagger, registered on the main typer app in training/cli.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from backend.core.config import PROJECT_ROOT, get_settings
from backend.core.errors import BadInputError
from backend.embedding.embedder import Embedder
from backend.sessions.config import ConfigError, StepsConfig, load_config

DEFAULT_CONFIG = PROJECT_ROOT / "configs" / "steps.yaml"
DEFAULT_DATA = PROJECT_ROOT / "data" / "generated" / "steps.csv"
DEFAULT_SESSIONS = 900


def _config(path: Path) -> StepsConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--config") from None


def _text_source() -> Embedder:
    from backend.sessions.service import build_text_source

    return build_text_source(get_settings())


def generate_steps_cmd(
    output: Annotated[Path, typer.Option(help="CSV to write")] = DEFAULT_DATA,
    sessions: Annotated[int, typer.Option(help="number of sessions")] = DEFAULT_SESSIONS,
    seed: Annotated[int, typer.Option()] = 42,
    images: Annotated[bool, typer.Option(help="also write small PNG screenshots and a "
                                              "screenshot_path column")] = False,
) -> None:
    """Write a seeded synthetic task-mining event log (session_id, timestamp, ..., step_name)."""
    from training.steps.generator import generate_sessions

    image_dir = output.parent / "screenshots" if images else None
    frame = generate_sessions(sessions, seed, image_dir=image_dir)
    output.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(output, index=False)
    typer.echo(f"wrote {len(frame):,} events, {frame['session_id'].nunique()} sessions, "
               f"{frame['step_name'].nunique()} steps -> {output}")


def train_steps_cmd(
    data: Annotated[Path, typer.Option(help="labelled event CSV")] = DEFAULT_DATA,
    config: Annotated[Path, typer.Option(help="YAML config")] = DEFAULT_CONFIG,
    model_type: Annotated[str | None, typer.Option(help="override model.type: bilstm | "
                                                        "transformer")] = None,
    fusion: Annotated[str | None, typer.Option(help="override model.fusion: concat | gated")
                      ] = None,
    epochs: Annotated[int | None, typer.Option(help="override training.epochs")] = None,
    hpo: Annotated[bool, typer.Option("--hpo", help="search settings with Optuna first")] = False,
    trials: Annotated[int | None, typer.Option(help="HPO trials (default hpo.trials)")] = None,
    best_config: Annotated[Path, typer.Option(help="where HPO writes the best config")] = Path(
        "configs/steps.best.yaml"),
    name: Annotated[str, typer.Option(help="registry model name")] = "step-tagger",
    case_column: Annotated[str | None, typer.Option(help="session / case id column, as named "
                                                         "in the file")] = None,
    timestamp_column: Annotated[str | None, typer.Option(help="timestamp column")] = None,
    event_column: Annotated[str | None, typer.Option(help="event / activity-detail column")
                            ] = None,
    label_column: Annotated[str | None, typer.Option(help="the step to learn")] = None,
    categorical: Annotated[list[str] | None, typer.Option(
        help="categorical input column (repeat, or comma-separated)")] = None,
    numeric: Annotated[list[str] | None, typer.Option(help="numeric input column")] = None,
    text: Annotated[list[str] | None, typer.Option(help="free-text input column (MiniLM)")
                    ] = None,
    target_precision: Annotated[float | None, typer.Option(
        min=0.01, max=1.0, help="precision the calibrated threshold aims at (default 0.95)")
                                ] = None,
    val_fraction: Annotated[float | None, typer.Option(min=0.01, max=0.49)] = None,
    test_fraction: Annotated[float | None, typer.Option(min=0.01, max=0.49)] = None,
    seed: Annotated[int | None, typer.Option(help="override seed")] = None,
    class_weight: Annotated[str | None, typer.Option(
        help="override training.class_weight: none | sqrt | balanced")] = None,
) -> None:
    """Train the step tagger (optionally after HPO), evaluate on held-out sessions, publish.

    Column flags map any event log without editing YAML; feature lists you do not give
    are empty once any column flag is used. The mapping is stored with the model.
    """
    from backend.registry.local import LocalModelStore
    from backend.sessions.config import parse_config
    from training.steps.baselines import warnings_for
    from training.steps.pipeline import train_steps

    cfg = _config(config)
    overrides = {"type": model_type, "fusion": fusion}
    data_cfg = cfg.model_dump(mode="json")
    data_cfg["model"].update({k: v for k, v in overrides.items() if v is not None})
    if epochs is not None:
        data_cfg["training"]["epochs"] = epochs
    data_cfg["columns"] = column_mapping(
        data_cfg["columns"], case_column, timestamp_column, event_column, label_column,
        categorical, numeric, text)
    for key, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction),
                       ("class_weight", class_weight)):
        if value is not None:
            data_cfg["training"][key] = value
    if target_precision is not None:
        data_cfg["evaluation"]["target_precision"] = target_precision
    if seed is not None:
        data_cfg["seed"] = seed
    try:
        cfg = parse_config(data_cfg, "command-line overrides")
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from None
    if not data.is_file():
        raise typer.BadParameter(f"{data} does not exist (run generate-steps)", param_hint="--data")
    typer.echo(f"columns: {json.dumps(cfg.columns.model_dump(mode='json'))}")
    source = _text_source() if cfg.columns.text else None
    try:
        if hpo:
            from training.steps.data import read_events, split_sessions
            from training.steps.hpo import run_hpo

            result = run_hpo(split_sessions(read_events(data), cfg), cfg, source, trials,
                             best_config)
            typer.echo(f"HPO: {result.trials} trials ({result.pruned} pruned), best val "
                       f"macro-F1 {result.best_value}: {json.dumps(result.best_params)} -> "
                       f"{best_config}")
            cfg = result.best_config
        outcome = train_steps(data, cfg, source, LocalModelStore(get_settings().MODELS_ROOT),
                              name)
    except (BadInputError, ValueError) as exc:
        raise typer.BadParameter(str(getattr(exc, "detail", exc))) from None
    m = outcome.manifest.metrics
    typer.echo(f"published {outcome.manifest.name} {outcome.manifest.version} "
               f"({cfg.model.type}/{cfg.model.fusion}): macro-F1 {m['macro_f1']}, token accuracy "
               f"{m['token_accuracy']}; at threshold {m['threshold']}: coverage "
               f"{m['coverage_at_threshold']}, accuracy {m['accuracy_at_threshold']} "
               f"(held-out sessions); report: {outcome.folder / 'report.md'}")
    report = outcome.report
    split = ", ".join(f"{k} {v['cases']:,} cases / {v['events']:,} events"
                      for k, v in report["split"].items())
    typer.echo(f"case split: {split}")
    typer.echo("baselines on the same test events: " + "; ".join(
        f"{k} accuracy {b['accuracy']}, macro-F1 {b['macro_f1']}"
        for k, b in report["baselines"].items()))
    typer.echo(f"macro-F1 over classes with >= {report['support']['min_support']} test events: "
               f"{report['support']['macro_f1_supported']} (all: {m['macro_f1']})")
    for warning in warnings_for(report):
        typer.echo(f"warning: {warning}", err=True)


def _names(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def column_mapping(current: dict[str, object], case: str | None, timestamp: str | None,
                   event: str | None, label: str | None, categorical: list[str] | None,
                   numeric: list[str] | None, text: list[str] | None) -> dict[str, object]:
    """The config's columns with the flags applied; with any flag, unlisted kinds are empty."""
    given = {"session": case, "timestamp": timestamp, "event": event, "label": label,
             "categorical": _names(categorical), "numeric": _names(numeric),
             "text": _names(text)}
    if all(v is None for v in given.values()):
        return current
    out = {**current, "categorical": [], "numeric": [], "text": [], "image": None}
    out.update({k: v for k, v in given.items() if v is not None})
    return out


def predict_steps_cmd(
    input: Annotated[Path, typer.Option("--input", help="event CSV (no label needed)")],
    output: Annotated[Path, typer.Option(help="CSV to write")] = Path("predictions.csv"),
    version: Annotated[str, typer.Option(help="model version or latest")] = "latest",
    threshold: Annotated[float | None, typer.Option(min=0.0, max=1.0)] = None,
    name: Annotated[str, typer.Option(help="registry model name")] = "step-tagger",
    label_column: Annotated[str | None, typer.Option(
        help="the log's own activity / label column to report agreement with (default: the "
             "model's label column, when the input has it)")] = None,
) -> None:
    """Tag every event of a CSV or XES log (.xes, .xes.gz) with step_name, confidence and
    abstained (input order kept). Header names match the model's ignoring case and spaces.
    An --output ending in .xes writes XES (step in concept:name, sift:* attributes)."""
    from backend.core.tabular import to_safe_csv
    from backend.registry.local import LocalModelStore
    from backend.sessions.eventfile import read_model_events
    from backend.sessions.service import load_predictor, tag_frame
    from backend.sessions.tagged import (
        find_column,
        label_agreement,
        tagged_columns,
        tagged_xes,
    )

    if not input.is_file():
        raise typer.BadParameter(f"{input} does not exist", param_hint="--input")
    store = LocalModelStore(get_settings().MODELS_ROOT)
    folder, manifest = store.open(name, version)
    cols = manifest.params.get("columns", {})
    predictor = load_predictor(folder, manifest.version,
                               _text_source() if cols.get("text", True) else None)
    try:
        events, warnings = read_model_events(input.read_bytes(), input.name,
                                             predictor.required_columns,
                                             predictor.optional_columns)
        result = tag_frame(predictor, events, threshold)
        frame, table, summary = result.table, events.table, result.summary()
    except BadInputError as exc:
        raise typer.BadParameter(exc.detail, param_hint="--input") from None
    cols = predictor.featurizer.columns
    tagged = tagged_columns(frame, cols.session, cols.timestamp, result.columns["step_name"])
    try:
        export = tagged_xes(frame, tagged) if output.name.lower().endswith(".xes") else None
        label = label_column or find_column(table, cols.label)
        figures = label_agreement(frame, tagged, label) if label else None
    except BadInputError as exc:
        raise typer.BadParameter(exc.detail) from None
    for warning in [*warnings, *result.warnings, *(export.warnings if export else [])]:
        typer.echo(f"warning: {warning}", err=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(export.text if export else to_safe_csv(frame), encoding="utf-8")
    typer.echo(f"tagged {summary['events']:,} events with {name} {manifest.version}: coverage "
               f"{summary['coverage']} -> {output}")
    if figures and figures["labelled_rows"]:
        typer.echo(f"agreement with {figures['column']!r} on {figures['labelled_rows']:,} "
                   f"events: accuracy {figures['accuracy']}, macro-F1 {figures['macro_f1']}, "
                   f"{len(figures['disagreements']):,} disagreements (abstained included)")


def ensure_default_step_model() -> None:
    """Generate data and train the default step tagger when the registry has none."""
    from backend.registry.local import LocalModelStore

    store = LocalModelStore(get_settings().MODELS_ROOT)
    if store.versions("step-tagger"):
        typer.echo(f"step-tagger: {store.resolve('step-tagger')} present")
        return
    generate_steps_cmd(output=DEFAULT_DATA, sessions=DEFAULT_SESSIONS, seed=42, images=False)
    train_steps_cmd(data=DEFAULT_DATA, config=DEFAULT_CONFIG)
