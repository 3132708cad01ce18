"""Commands of the task categoriser (assembled into `sift` by training/cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from backend.core.config import Settings, get_settings

if TYPE_CHECKING:
    from backend.registry.local import LocalModelStore

DEFAULT_ROWS_HELP = "generated base rows (default: TASK_TRAIN_ROWS)"


def generate_tasks_cmd(
    output: Annotated[Path, typer.Option(help="CSV to write")] = Path("data/generated/tasks.csv"),
    n: Annotated[int, typer.Option(help="number of rows")] = 3000,
    seed: Annotated[int, typer.Option(help="random seed")] = 42,
) -> None:
    """Write a seeded, labelled task dataset (title, description, category, template_id)."""
    from training.tasks.generator import generate_tasks

    frame = generate_tasks(n, seed)
    output.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(output, index=False)
    typer.echo(f"wrote {len(frame)} tasks, {frame['template_id'].nunique()} templates -> {output}")


def train_tasks_cmd(
    rows: Annotated[int | None, typer.Option(help=DEFAULT_ROWS_HELP)] = None,
    seed: Annotated[int, typer.Option()] = 42,
    csv: Annotated[Path | None, typer.Option(
        help="v1 recipe: base CSV with title, description, category (default: the "
             "generator)")] = None,
    checkpoint_dir: Annotated[Path | None, typer.Option(
        help="v1 recipe: also write the best checkpoint here whenever validation loss "
             "improves")] = None,
    authors: Annotated[Path | None, typer.Option(
        help="folder of <author>.csv files (author,title,description,category) to train v2 "
             "on, with the generated rows (default: training/tasks/data/authors)")] = None,
    recipe: Annotated[str | None, typer.Option(
        help="linear recipe on authors + generated rows: v3 (default: embedding + word and "
             "character n-grams) or v2 (embedding + word n-grams)")] = None,
    generated_only: Annotated[bool, typer.Option(
        "--generated-only", help="the v1 recipe: generated rows (or --csv) only, an MLP "
        "head, no out-of-domain class")] = False,
) -> None:
    """Train the task categoriser and publish a new version (no gate: use `retrain`).

    Default (recipe v3): authors' titles + generated rows; the auto-select threshold is
    chosen for 0.95 precision by leaving each author out in turn."""
    from backend.registry.local import LocalModelStore
    from backend.tasks.service import task_embedder

    settings = get_settings()
    rows = rows or settings.TASK_TRAIN_ROWS
    store = LocalModelStore(settings.MODELS_ROOT)
    if generated_only or csv is not None or checkpoint_dir is not None:
        _train_v1(settings, store, rows, seed, csv, checkpoint_dir)
        return
    from training.tasks.authors import AUTHORS_DIR
    from training.tasks.linear import DEFAULT_RECIPE, recipe_args
    from training.tasks.v2 import publish_v2, train_v2

    args = recipe_args(recipe or DEFAULT_RECIPE, seed=seed)
    model, metrics, params, _ = train_v2(task_embedder(settings), rows=rows, seed=seed,
                                         args=args, authors_dir=authors or AUTHORS_DIR)
    manifest = publish_v2(store, settings.TASK_MODEL_NAME, model, metrics, params)
    typer.echo(f"published {manifest.name} {manifest.version} (authors + generated, recipe "
               f"{recipe or DEFAULT_RECIPE}): "
               f"leave-one-author-out accuracy {metrics['accuracy']}, macro-F1 "
               f"{metrics['macro_f1']} on {metrics['n']} titles of "
               f"{', '.join(params['authors'])}; threshold {model.threshold:.4f} (from those "
               f"authors, precision {metrics['threshold_choice']['precision']}): "
               f"auto-selected {metrics['auto_share']:.0%} at accuracy "
               f"{metrics['auto_accuracy']}, out-of-domain auto-selected "
               f"{metrics['ood_auto_rate']:.0%}")


def _train_v1(settings: Settings, store: LocalModelStore, rows: int, seed: int,
              csv: Path | None, checkpoint_dir: Path | None) -> None:
    from backend.tasks.categorizer import V1_THRESHOLD
    from backend.tasks.service import task_embedder
    from training.tasks.retrain import base_frame, examples_frame, fit_candidate, publish
    from training.tasks.train import TaskTrainingArguments

    threshold = settings.TASK_AUTO_SELECT_THRESHOLD
    threshold = V1_THRESHOLD if threshold is None else threshold
    args = TaskTrainingArguments(seed=seed)
    frame = base_frame(rows, seed, csv)
    head, _, metrics = fit_candidate(frame, examples_frame([]), task_embedder(settings), args,
                                     threshold, checkpoint_dir)
    params = {"base_rows": rows, "seed": seed, "base_csv": str(csv) if csv else None,
              "training": args.to_dict(), "corrections": 0}
    manifest = publish(store, settings.TASK_MODEL_NAME, head, metrics, params)
    held = metrics["heldout"]
    typer.echo(f"published {manifest.name} {manifest.version}: held-out-template accuracy "
               f"{held['accuracy']}, macro-F1 {held['macro_f1']} on {held['n']} tasks; "
               f"auto-selected {held['confidence']['auto_selected_share']:.0%} at "
               f"{threshold} with accuracy "
               f"{held['confidence']['accuracy_when_auto_selected']}")


def ensure_default_task_model() -> None:
    """Train the default task model if the registry has none."""
    from backend.registry.local import LocalModelStore

    settings = get_settings()
    store = LocalModelStore(settings.MODELS_ROOT)
    if store.versions(settings.TASK_MODEL_NAME):
        typer.echo(f"{settings.TASK_MODEL_NAME}: {store.resolve(settings.TASK_MODEL_NAME)} "
                   "present")
    else:
        train_tasks_cmd(rows=None, seed=42, csv=None, checkpoint_dir=None, authors=None,
                        recipe=None, generated_only=False)
