"""An event log (CSV, XES) as an API job: headers matched to the step model's once, tagged
in slices of whole sessions with progress, then one result: the tagged CSV, summary, row
accounting, warnings, agreement with the model's label column and the what-if curve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backend.bulk.curve import coverage_curve
from backend.bulk.filejobs import Progress
from backend.core.agreement import agreement
from backend.core.tabular import to_safe_csv
from backend.sessions.eventfile import read_model_events
from backend.sessions.predictor import StepPredictor
from backend.sessions.service import tag_in_chunks
from backend.sessions.tagged import find_column


def run_step_job(progress: Progress, path: Path, filename: str, name: str,
                 tagger: StepPredictor, threshold: float | None, max_rows: int,
                 max_bytes: int, chunk_rows: int, result_path: Path) -> dict[str, Any]:
    """Read, tag and summarise one event log; the tagged CSV goes to `result_path`."""
    progress.step("reading", 0)
    events, read_warnings = read_model_events(path.read_bytes(), filename,
                                              tagger.required_columns,
                                              tagger.optional_columns, max_rows, max_bytes)
    tagged = tag_in_chunks(tagger, events, threshold, chunk_rows,
                           lambda done, total: progress.step("classifying", done, total))
    progress.step("summarising")
    result_path.write_text(to_safe_csv(tagged.table), encoding="utf-8")
    label = tagger.featurizer.columns.label
    column = find_column(events.table, label) if label else None
    given = events.table[column].tolist() if column else None
    steps = tagged.column("step_name").astype(str).tolist()
    return {"model": name, "model_version": tagged.model_version,
            "threshold": tagged.threshold, "rows": len(tagged.table),
            "columns": tagged.columns, "summary": tagged.summary(),
            "warnings": [*read_warnings, *tagged.warnings],
            "agreement": agreement(given, steps, str(column)) if given is not None else None,
            "curve": coverage_curve(tagged.column("confidence").astype(float).tolist(),
                                    [True] * len(steps), steps,
                                    tagged.column("predicted_step").astype(str).tolist(),
                                    tagged.threshold, given)}
