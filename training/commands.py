"""Commands that span the features (assembled into `sift` by training/cli.py)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from backend.core.config import get_settings


def retrain_cmd(
    model: Annotated[str, typer.Option(help="registry model name")] = "task-categorizer",
    rows: Annotated[int | None, typer.Option(
        help="generated base rows (default: as the current version)")] = None,
    seed: Annotated[int | None, typer.Option(help="default: as the current version")] = None,
    current_version: Annotated[str | None, typer.Option(
        help="version the candidate must not be worse than (default: the newest)")] = None,
    from_stdin: Annotated[bool, typer.Option(
        help="read the settings and the feedback snapshot from stdin (the API's job)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the full report as one JSON "
                                          "line (the API's job reads it)")] = False,
) -> None:
    """Merge base data with feedback (corrections win), train a candidate, and publish it
    only if it is not worse than the current version on the same held-out data."""
    from backend.feedback.retrain_job import decode_request
    from backend.feedback.store import FeedbackStore
    from training.retrain import retrainable, run_retrain

    if from_stdin:
        settings, examples = decode_request(sys.stdin.read())
    else:
        settings = get_settings()
        examples = []
    if model not in retrainable(settings):
        raise typer.BadParameter(
            f"gated retraining is implemented for {', '.join(retrainable(settings))}; for "
            f"{model} train a new version with its own train command", param_hint="--model")
    if not from_stdin:
        examples = FeedbackStore(settings.DATABASE_URL).labelled_examples(model)
    report = run_retrain(settings, model, examples, rows=rows, seed=seed,
                         current_version=current_version)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), default=str))
        return
    figures = {"current": report.current_version,
               "current_accuracy": report.current.get("accuracy"),
               "current_corrections_accuracy": report.current.get("corrections_accuracy"),
               "candidate_accuracy": report.candidate.get("accuracy"),
               "candidate_corrections_accuracy": report.candidate.get("corrections_accuracy"),
               "corrections": report.corrections, "heldout_corrections":
               report.heldout_corrections, "new_labels": report.new_labels,
               "mirrored": report.mirrored}
    verdict = f"promoted as {report.candidate_version}" if report.promoted else "not promoted"
    typer.echo(f"{model}: {verdict} ({report.reason})\n{json.dumps(figures, indent=2)}")
