"""`sift classify-file`: bulk classification of a large log file.

Exit codes: 0 every row classified; 2 rows were skipped (see the errors file;
typer also uses 2 for a bad command line); 1 the job could not run (missing
input or columns, unknown format, a progress file from another job).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import typer
from tqdm import tqdm

from backend.bulk.formats import InputError
from backend.bulk.logtext import LogOptions
from backend.bulk.memory import JobRecorder, load_memory
from backend.bulk.output import Sink
from backend.bulk.pipeline import Job
from backend.bulk.worker import ModelSpec
from backend.core.config import get_settings

EXIT_SKIPPED = 2


class Engine(StrEnum):
    local = "local"
    ray = "ray"


def classify_file_cmd(
    input: Annotated[Path, typer.Argument(
        help="CSV / JSONL / Parquet / raw log text (.log, .txt), plain or .gz")],
    output: Annotated[Path, typer.Option(help=".csv, .jsonl (optionally .gz) or .parquet")],
    source_column: Annotated[str, typer.Option(help="column with the source system")] = "source",
    message_column: Annotated[str, typer.Option(help="column with the log line")] = "log_message",
    input_format: Annotated[str | None, typer.Option(
        "--format", help="csv | jsonl | parquet | log (default: from the file name)")] = None,
    log_format: Annotated[str | None, typer.Option(
        help="raw logs: a Loghub-style format ('<Date> <Time> <Level> <Component>: <Content>'),"
             " a preset (hdfs, apache, linux, openssh, thunderbird, syslog, syslog-5424, access,"
             " apache-error, nginx-error, log4j, python) or auto; default: each line whole")
    ] = None,
    multiline: Annotated[bool, typer.Option(
        help="raw logs: join lines that do not start a record to the record before")] = True,
    record_start: Annotated[str | None, typer.Option(
        help="raw logs: regex of a record's first line (default: the format's header)")] = None,
    source_field: Annotated[str | None, typer.Option(
        help="raw logs: the parsed field that names the source (e.g. Component)")] = None,
    source: Annotated[str | None, typer.Option(
        help="raw logs: a fixed source for every record (default: the file name)")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (default: sniffed)")] = None,
    chunk_size: Annotated[int, typer.Option(min=100, help="rows per chunk")] = 20_000,
    engine: Annotated[Engine, typer.Option(help="local or ray")] = Engine.local,
    workers: Annotated[int | None, typer.Option(
        min=1, help="classifier processes (local, default 1) or actors (ray, default: the "
                    "cluster's CPU count)")] = None,
    ray_address: Annotated[str | None, typer.Option(
        help="join this Ray cluster (e.g. ray://head:10001 or auto); default: start a local one")
    ] = None,
    ray_cpus: Annotated[int, typer.Option(min=1, help="CPUs of the local Ray cluster")] = 2,
    resume: Annotated[bool, typer.Option(help="skip the chunks a previous run wrote")] = False,
    llm_rate: Annotated[float, typer.Option(
        min=0.0, help="LLM calls per second for the whole job (0: no limit)")] = 2.0,
    model_version: Annotated[str | None, typer.Option(help="registry version (default: "
                                                           "LOG_MODEL_VERSION)")] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
    caller: Annotated[str | None, typer.Option(
        help="apply the feedback memory as this API caller sees it (e.g. writer:ops); "
             "default: the corrections that answer everyone (the admin's, and those "
             "WRITER_SOURCES shares)")] = None,
    record_sample: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="store this share of the predictions in the feedback store "
                               "at DATABASE_URL, so they can be corrected later (0: none)")
    ] = 0.0,
) -> None:
    """Classify a large log file in chunks, on this machine or on a Ray cluster."""
    settings = get_settings()
    try:
        log = LogOptions(log_format=log_format, multiline=multiline, record_start=record_start,
                         source_field=source_field, source=source)
        job = Job.for_file(input, input_format, source_column=source_column,
                           message_column=message_column, delimiter=delimiter,
                           chunk_size=chunk_size, log=log)
        if job.note:
            typer.echo(job.note, err=True)
        columns = job.columns()
        spec = ModelSpec.from_registry(settings, model_version or settings.LOG_MODEL_VERSION)
        memory, note = load_memory(settings, caller)  # the same corrections as the API
        if note:
            typer.echo(note, err=True)
        spec = replace(spec, memory=memory)
        recorder = (JobRecorder(settings, record_sample, spec.name, spec.version,
                                job.source_column, job.message_column)
                    if record_sample > 0 else None)
        sink = Sink(output, job, columns, f"{spec.name}:{spec.version}", resume=resume)
    except (InputError, ValueError, LookupError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    if sink.done:
        typer.echo(f"{output} is already complete; nothing to resume", err=True)
        _finish(sink.summary() | {"engine": engine.value,
                                  "model": f"{spec.name} {spec.version}", "seconds": 0.0})
        return
    if sink.state["chunks_done"]:
        typer.echo(f"resuming after {sink.state['rows_done']:,} rows "
                   f"({sink.skip_chunks} chunks already written)", err=True)
    done_before = int(sink.state["rows_done"])
    bar = tqdm(unit=" lines", unit_scale=True, disable=not progress, desc="classify",
               initial=done_before)

    first: list[float] = []  # when the first result arrived (model loaded, caches cold)

    def write(table: pa.Table) -> int:
        taken = sink.write(table)
        if recorder is not None:
            recorder.write(table)
        if not first:
            first.extend((time.perf_counter(), float(taken)))
        bar.update(taken)
        return taken

    start = time.perf_counter()
    if engine is Engine.ray:
        from backend.bulk.ray_engine import run_ray

        run_ray(job, spec, write, sink.skip_chunks, ray_address, ray_cpus, workers,
                llm_rate, progress)
    else:
        from backend.bulk.local import run_local

        run_local(job, spec, write, sink.skip_chunks, workers or 1, llm_rate)
    elapsed = time.perf_counter() - start
    bar.close()
    if recorder is not None:
        recorder.close()
    summary = sink.finish(elapsed)
    summary.update(engine=engine.value, model=f"{spec.name} {spec.version}",
                   seconds=round(elapsed, 2))
    if recorder is not None:
        summary["recorded"] = recorder.stored
    if first and time.perf_counter() > first[0]:
        rows_after = sink.state["rows_done"] - done_before - first[1]
        summary["warm_lines_per_s"] = round(rows_after / (time.perf_counter() - first[0]), 1)
    _report(summary, elapsed, sink.state["rows_done"] - done_before)
    _finish(summary)


def _finish(summary: dict[str, Any]) -> None:
    typer.echo("summary: " + json.dumps(summary))
    if summary["skipped"]:
        raise typer.Exit(EXIT_SKIPPED)


def _report(summary: dict[str, Any], elapsed: float, rows_this_run: int) -> None:
    rate = rows_this_run / elapsed if elapsed > 0 else 0.0
    summary["lines_per_s"] = round(rate, 1)
    typer.echo(f"{summary['written']:,} rows classified in {elapsed:.1f} s ({rate:,.0f} lines/s, "
               f"{summary['engine']} engine, {summary['model']}); coverage "
               f"{summary['coverage']:.1%}")
    typer.echo("by tier:  " + ", ".join(f"{k} {v:,}" for k, v in summary["by_tier"].items()))
    if summary.get("by_stage"):
        typer.echo("by stage: " + ", ".join(f"{k} {v:,}" for k, v in summary["by_stage"].items()))
    typer.echo("by label: " + ", ".join(f"{k} {v:,}" for k, v in summary["by_label"].items()))
    if summary["skipped"]:
        typer.echo(f"{summary['skipped']:,} rows skipped: see {summary['errors_file']}")
    typer.echo(f"-> {summary['output']}")
