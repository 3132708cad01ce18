"""A log file as an API job: read by the bulk engine's readers (CSV, NDJSON, raw `.log`),
classified chunk by chunk as the bulk engine does, then one result: the labelled CSV
(the synchronous CSV door's columns and clash policy), summary, row accounting,
warnings, agreement with the file's own label column and the what-if curve.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from backend.bulk.curve import coverage_curve
from backend.bulk.filejobs import JobFailed, Progress
from backend.bulk.formats import InputError
from backend.bulk.pipeline import (
    BOOKKEEPING,
    ERROR,
    LINE,
    RAW,
    RESULT_COLUMNS,
    Job,
    classify_chunk,
    iter_chunks,
)
from backend.core.agreement import file_agreement
from backend.core.labels import UNCLASSIFIED
from backend.core.tabular import to_safe_csv
from backend.logs.classifier import LogClassifier
from backend.logs.memory import MemoryView
from sift_tables import TableError, append_columns, check_row_limit, normalize_header

SKIPPED_SHOWN = 5  # skipped rows named in the warning


@dataclass(frozen=True)
class LogFileLimits:
    """The synchronous doors' bounds, applied to the job the same way."""

    max_rows: int
    label_column: str  # LABEL_COLUMN: the file's own labels, for agreement and accuracy


def run_log_job(progress: Progress, job: Job, classifier: LogClassifier,
                memory: MemoryView | None, limits: LogFileLimits, result_path: Path
                ) -> dict[str, Any]:
    """Read, classify and summarise one file; the labelled CSV goes to `result_path`."""
    chunks = _read(progress, job, limits.max_rows)
    total = sum(c.num_rows for c in chunks)
    inputs, outputs, done = [], [], 0
    progress.step("classifying", 0, total)
    for chunk in chunks:
        outputs.append(classify_chunk(classifier, chunk, job, memory).select(RESULT_COLUMNS))
        inputs.append(chunk)
        done += chunk.num_rows
        progress.step("classifying", done, total)
    progress.step("summarising")
    table = pa.concat_tables(inputs) if inputs else None
    if table is None or table.num_rows == 0:
        raise JobFailed(422, "The file holds no records to classify.")
    kept = table.column(ERROR).is_null().to_numpy(zero_copy_only=False)
    frame = table.drop_columns(list(BOOKKEEPING)).to_pandas()[kept].reset_index(drop=True)
    warnings = [*([job.note] if job.note else []), *_records_note(job, frame),
                *_skipped(table, kept)]
    results = pa.concat_tables(outputs).to_pandas()[kept].reset_index(drop=True)
    if frame.empty:
        raise JobFailed(422, "No record of the file could be read: " + "; ".join(warnings))
    labelled, renamed = append_columns(frame, {c: results[c].to_numpy() for c in RESULT_COLUMNS})
    names = dict(zip(RESULT_COLUMNS, [str(c) for c in labelled.columns[len(frame.columns):]],
                     strict=True))
    result_path.write_text(to_safe_csv(labelled), encoding="utf-8")
    labels = results["target_label"].astype(str).tolist()
    given = _given(frame, limits.label_column)
    return {"model_version": classifier.version, "threshold": classifier.threshold_for(None),
            "rows": len(labelled), "columns": names,
            "input_columns": {"source": job.source_column, "message": job.message_column},
            "summary": _summary(results, total),
            "warnings": [*warnings, *renamed],
            "agreement": file_agreement(frame, labels, limits.label_column),
            "curve": _curve(classifier, frame, results, job, given)}


def _read(progress: Progress, job: Job, max_rows: int) -> list[pa.Table]:
    """Every chunk, refused as the synchronous doors refuse once it passes the row limit."""
    chunks: list[pa.Table] = []
    rows = 0
    progress.step("reading", 0)
    try:
        for chunk in iter_chunks(job):
            rows += chunk.num_rows
            check_row_limit(rows, max_rows, "records" if job.fmt == "log" else "rows")
            chunks.append(chunk)
            progress.step("reading", rows)
    except TableError as exc:
        raise JobFailed(exc.status, exc.message) from None
    except (InputError, ValueError) as exc:
        raise JobFailed(422, str(exc)) from None
    return chunks


def _skipped(table: pa.Table, kept: Any) -> list[str]:
    """One warning naming the rows the reader could not use (never a silent drop)."""
    n = int((~kept).sum())
    if not n:
        return []
    lines = table.column(LINE).to_pylist()
    errors, raws = table.column(ERROR).to_pylist(), table.column(RAW).to_pylist()
    shown = [f"line {lines[i]}: {errors[i]} ({str(raws[i] or '')[:60]!r})"
             for i in (~kept).nonzero()[0][:SKIPPED_SHOWN]]
    return [f"{n:,} row(s) skipped, not classified: " + "; ".join(shown)]


def _records_note(job: Job, frame: pd.DataFrame) -> list[str]:
    """A raw log's records against its lines (continuation lines join their record)."""
    if job.fmt != "log" or "line_count" not in frame:
        return []
    lines = int(pd.to_numeric(frame["line_count"], errors="coerce").fillna(1).sum())
    name = job.log.log_format if job.log and job.log.log_format else "one record per line"
    return [f"format {name}: {len(frame):,} records from {lines:,} lines "
            f"({lines - len(frame):,} joined)"]


def _given(frame: pd.DataFrame, column: str) -> list[object] | None:
    wanted = normalize_header(column)
    found = next((c for c in frame.columns if normalize_header(c) == wanted), None)
    return None if found is None else frame[found].tolist()


def _summary(results: pd.DataFrame, rows_in: int) -> dict[str, Any]:
    """As the synchronous doors state it: rows_in = classified + abstained + refused."""
    labels = results["target_label"].astype(str)
    covered = int((labels != UNCLASSIFIED).sum())
    n = len(results)
    return {"total": n, "classified": covered, "coverage": round(covered / n, 4) if n else 0.0,
            "mean_confidence": round(float(results["confidence"].mean()), 4) if n else 0.0,
            "by_tier": dict(Counter(results["tier"].astype(str)).most_common()),
            "by_stage": dict(Counter(s for s in results["stage"] if s).most_common()),
            "by_label": dict(Counter(labels).most_common()),
            "rows_in": rows_in, "abstained": n - covered, "refused": rows_in - n}


def _curve(classifier: LogClassifier, frame: pd.DataFrame, results: pd.DataFrame, job: Job,
           given: list[object] | None) -> list[dict[str, Any]]:
    """Coverage (and accuracy with labels) per threshold. Model-tier rows below the served
    threshold have no label in the result; with labels to compare, their best guesses come
    from one more pass at threshold 0 over those rows only (their embeddings are cached)."""
    tiers = results["tier"].astype(str)
    labels = results["target_label"].astype(str).tolist()
    gated = (tiers == "model").to_numpy()
    guesses = list(labels)
    below = [i for i in range(len(labels)) if gated[i] and labels[i] == UNCLASSIFIED]
    if given is not None and below:
        sources = frame[job.source_column].tolist()
        messages = frame[job.message_column].tolist()
        again = classifier.classify([(sources[i], messages[i]) for i in below], threshold=0.0,
                                    llm_budget=0)
        for i, p in zip(below, again, strict=True):
            guesses[i] = p.label
    return coverage_curve(results["confidence"].astype(float).tolist(), gated, labels,
                          guesses, classifier.threshold_for(None), given)
