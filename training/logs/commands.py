"""Commands of the log classifier: generate data, train, and the default model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from backend.core.config import PROJECT_ROOT, get_settings

if TYPE_CHECKING:
    from backend.registry.manifest import Manifest

DEFAULT_LOG_DATA_ROWS = 8000


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
    cascade_tolerance: Annotated[float, typer.Option(
        help="out-of-fold accuracy the fast stage may cost (0: none; more: faster on "
             "never-seen lines, less accurate)")] = 0.0,
    extra_data: Annotated[Path | None, typer.Option(
        help="more labelled rows that are always trained on and never held out, e.g. real "
             "systems' logs (`real-logs-data` writes the Loghub corpus' rows); grouped by "
             "--extra-group-column in the out-of-fold fits")] = None,
    extra_group_column: Annotated[str, typer.Option(
        help="column of --extra-data whose values are held out together out of fold (the "
             "system: the threshold and the distance calibration learn what a system "
             "never seen costs)")] = "source",
    extra_share: Annotated[float, typer.Option(
        help="share of the total row weight the --extra-data rows carry (0 < x < 1)")] = 0.5,
    distance: Annotated[bool, typer.Option(
        help="distance-aware confidence (--no-distance: the head's calibrated probability)")
    ] = True,
    calibration_real_only: Annotated[bool, typer.Option(
        help="fit the distance calibration and the threshold on the held-out --extra-data "
             "systems only (not on held-out generated templates)")
    ] = False,
    calibration_by_label: Annotated[bool, typer.Option(
        help="a calibration bias per answered label")] = False,
    minilm_floor_quantile: Annotated[float | None, typer.Option(
        help="no evidence below this quantile of the held-out systems' MiniLM similarity to "
             "training: chance confidence there (0: off)")
    ] = None,
    calibration_fast_opinion: Annotated[bool, typer.Option(
        help="the MiniLM stage's calibration also reads the fast stage's opinion of its "
             "answer (agrees or not, and the probability it gave that label)")] = False,
    c: Annotated[list[float] | None, typer.Option(
        "--c", help="C values the MiniLM head's out-of-fold search tries (repeat the "
                    "option; default 4, 16, 64; one value pins it)")] = None,
    fast_c: Annotated[list[float] | None, typer.Option(
        "--fast-c", help="C values for the fast head (default: those of --c)")] = None,
) -> None:
    """Train the log classifier on any labelled CSV and publish a new registry version."""
    from backend.embedding.service import build_embedder
    from backend.embedding.static import StaticEmbedder
    from training.logs.cascade import shipped_static_model
    from training.logs.train import LogTrainingArguments, train_logs

    settings = get_settings()
    if not data.is_file():
        raise typer.BadParameter(f"{data} does not exist", param_hint="--data")
    args = LogTrainingArguments(group_column=group_column, target_precision=target_precision,
                                seed=seed, llm_sources=tuple(settings.LLM_SOURCES),
                                level_column=level_column,
                                cascade_tolerance=cascade_tolerance, extra_data=extra_data,
                                extra_group_column=extra_group_column,
                                extra_share=extra_share, distance=distance,
                                calibration_real_only=calibration_real_only,
                                calibration_by_label=calibration_by_label,
                                minilm_floor_quantile=minilm_floor_quantile or None,
                                calibration_fast_opinion=calibration_fast_opinion)
    if c:
        args.c_grid = tuple(c)
    if fast_c:
        args.fast_c_grid = tuple(fast_c)
    if any(v <= 0 for v in (*args.c_grid, *(args.fast_c_grid or ()))):
        raise typer.BadParameter("C values must be positive", param_hint="--c / --fast-c")
    if extra_data is not None and not extra_data.is_file():
        raise typer.BadParameter(f"{extra_data} does not exist", param_hint="--extra-data")
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
    for warning in quality_warnings_of(manifest):
        typer.echo(f"warning: {warning}", err=True)
    if "fast_share" in m:
        typer.echo(f"cascade: threshold {m['cascade_threshold']:.3f}, stage 1 answered "
                   f"{m['fast_share']:.1%} of model-tier rows; all-MiniLM accuracy "
                   f"{m['accuracy_all_minilm']} on the same rows")


def real_logs_data_cmd(
    output: Annotated[Path, typer.Option(help="CSV to write")] = Path(
        "data/generated/real_logs.csv"),
    corpus: Annotated[Path | None, typer.Option(
        help="labelled templates: system, event_id, label[, problem, duplicate_of] (default: "
             "training/logs/data/loghub_corpus.csv)")] = None,
    loghub: Annotated[Path | None, typer.Option(
        help="folder with <system>_2k.log and <system>_2k.log_structured.csv (default: "
             "../shared/data/loghub)")] = None,
) -> None:
    """Write the labelled real-log corpus as training rows (source, log_message, level,
    target_label, template_id, problem): each system's raw .log read through `auto`."""
    from training.logs.realcorpus import (
        LOGHUB,
        corpus_lines,
        default_corpus,
        load_corpus,
        training_rows,
    )

    lines = corpus_lines(load_corpus(corpus or default_corpus()), loghub=loghub or LOGHUB)
    rows = training_rows(lines)
    output.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(output, index=False)
    typer.echo(f"wrote {len(rows)} rows ({rows['template_id'].nunique()} templates of "
               f"{rows['source'].nunique()} systems, from {len(lines)} lines) -> {output}")


def quality_warnings_of(manifest: Manifest) -> list[str]:
    """The warnings train-logs wrote into the published version's report.json."""
    report = get_settings().MODELS_ROOT / manifest.name / manifest.version / "report.json"
    warnings = json.loads(report.read_text(encoding="utf-8")).get("warnings", [])
    return [str(w) for w in warnings]


def ensure_default_log_model() -> None:
    """Generate data and train the default log model if the registry has none."""
    from backend.registry.local import LocalModelStore

    settings = get_settings()
    store = LocalModelStore(settings.MODELS_ROOT)
    if store.versions(settings.LOG_MODEL_NAME):
        typer.echo(f"{settings.LOG_MODEL_NAME}: {store.resolve(settings.LOG_MODEL_NAME)} present")
    else:
        data = PROJECT_ROOT / "data" / "generated" / "logs.csv"
        generate_logs_cmd(output=data, n=DEFAULT_LOG_DATA_ROWS, seed=42)
        train_logs_cmd(data=data, cascade=False)  # an empty registry ships no static model
