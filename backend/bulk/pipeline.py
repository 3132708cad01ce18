"""What both engines share: the job description, chunking, and classifying one chunk.

A chunk is an Arrow table of `chunk_size` consecutive records with bookkeeping
columns: `__row` (0-based record index, the sort key that makes engines agree
row for row), `__line` (where the row starts in the input), `__error` (why a row
was skipped, else null) and `__raw` (an excerpt of a skipped row).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from backend.bulk.formats import Record, detect_format, open_records
from backend.bulk.logtext import LogOptions, read_log
from backend.logs.classifier import LogClassifier
from backend.logs.levels import LEVEL_COLUMNS
from backend.logs.logformat import compile_format, uses_level
from backend.logs.memory import MemoryView
from backend.logs.usecase import RESULT_COLUMNS, ClassifyOptions, classify_rows

ROW, LINE, ERROR, RAW = "__row", "__line", "__error", "__raw"
BOOKKEEPING = (ROW, LINE, ERROR, RAW)
INPUT = "__in__"  # an input column named like a result column travels as __in__<name>


@dataclass(frozen=True)
class Job:
    """Everything a reader needs, small and picklable (it travels to Ray workers)."""

    input: Path
    fmt: str
    gz: bool
    source_column: str = "source"
    message_column: str = "log_message"
    delimiter: str | None = None
    chunk_size: int = 20_000
    llm_budget: int | None = None  # LLM calls per chunk; None: the chunk size
    log: LogOptions | None = None  # raw log text: header format, records, source
    note: str | None = None  # what `--log-format auto` chose

    @classmethod
    def for_file(cls, path: Path, fmt: str | None = None, **options: object) -> Job:
        found, gz = detect_format(path, fmt)
        log = options.pop("log", None)
        if found == "log":
            log = log if isinstance(log, LogOptions) else LogOptions()
            log, note = log.resolved(path, gz)
            options.update(log=log, note=note, source_column="source",
                           message_column="Content")
        return cls(path.resolve(), found, gz, **options)  # type: ignore[arg-type]

    @property
    def level_column(self) -> str | None:
        """The parsed field that states the level (raw logs with such a format), else None."""
        if self.log is None or not self.log.log_format:
            return None
        try:
            return compile_format(self.log.log_format).level_field
        except ValueError:
            return None

    def open(self) -> tuple[list[str], Iterator[Record]]:
        """Columns and record stream of the input, whatever its format."""
        if self.fmt == "log":
            return read_log(self.input, self.gz, self.log or LogOptions())
        return open_records(self.input, self.fmt, self.gz, self.required, self.delimiter)

    @property
    def required(self) -> tuple[str, ...]:
        return (self.source_column, self.message_column)

    def columns(self) -> list[str]:
        """The input's columns (reads only the header / schema / first object)."""
        columns, records = self.open()
        close = getattr(records, "close", None)
        if close is not None:
            close()
        return columns


def _table(columns: list[str], rows: list[Record], first_row: int) -> pa.Table:
    data: dict[str, list[object]] = {c: [] for c in columns}
    lines, errors, raws = [], [], []
    empty = ("",) * len(columns)
    for record in rows:
        values = record.values if record.values is not None else empty
        for column, value in zip(columns, values, strict=True):
            data[column].append(value)
        lines.append(record.line)
        errors.append(record.error)
        raws.append(record.raw if record.error else None)
    arrays = {c: pa.array(v, pa.string()) for c, v in data.items()}
    arrays[ROW] = pa.array(range(first_row, first_row + len(rows)), pa.int64())
    arrays[LINE] = pa.array(lines, pa.int64())
    arrays[ERROR] = pa.array(errors, pa.string())
    arrays[RAW] = pa.array(raws, pa.string())
    return pa.table(arrays)


def iter_chunks(job: Job, skip_chunks: int = 0) -> Iterator[pa.Table]:
    """Chunks in input order; the first `skip_chunks` are read but not built (resume)."""
    columns, records = job.open()
    rows: list[Record] = []
    index = 0
    for record in records:
        rows.append(record)
        if len(rows) == job.chunk_size:
            if index >= skip_chunks:
                yield _table(columns, rows, index * job.chunk_size)
            rows, index = [], index + 1
    if rows and index >= skip_chunks:
        yield _table(columns, rows, index * job.chunk_size)


def _level_name(job: Job, columns: list[str]) -> str | None:
    """The chunk column that states each row's level: a raw log's Level field, else a
    `level` / `severity` column (any case, as the API's doors read a table), else None."""
    if job.level_column is not None:
        return job.level_column
    names = {c.lower(): c for c in columns if c not in BOOKKEEPING}
    return next((names[n] for n in LEVEL_COLUMNS if n in names), None)


def classify_chunk(classifier: LogClassifier, chunk: pa.Table, job: Job,
                   memory: MemoryView | None = None) -> pa.Table:
    """Add the result columns; skipped rows (with `__error`) get nulls and no model call.
    `memory`: the corrections that answer the job's caller (the API's file jobs, the CLI).
    An input column named like a result column is kept, as `__in__<name>` (the Sink
    writes it back under its own name and the result as `sift_<name>`)."""
    errors = chunk.column(ERROR).to_pylist()
    sources = chunk.column(job.source_column).to_pylist()
    messages = chunk.column(job.message_column).to_pylist()
    level = _level_name(job, chunk.column_names)
    levels = (chunk.column(level).to_pylist()
              if level is not None and uses_level(classifier.model.config) else None)
    keep = [i for i, e in enumerate(errors) if e is None]
    budget = job.llm_budget if job.llm_budget is not None else max(len(keep), 1)
    records = ([(sources[i], messages[i], levels[i]) for i in keep] if levels is not None
               else [(sources[i], messages[i]) for i in keep])
    result = classify_rows(classifier, records, ClassifyOptions(memory=memory, llm_budget=budget))
    n = chunk.num_rows
    columns: dict[str, list[object]] = {name: [None] * n for name in RESULT_COLUMNS}
    for i, row in zip(keep, result.rows(), strict=True):
        for name in RESULT_COLUMNS:
            columns[name][i] = row[name]
    out = chunk.rename_columns([INPUT + c if c in RESULT_COLUMNS else c
                                for c in chunk.column_names])
    for name in RESULT_COLUMNS:
        kind = pa.float64() if name == "confidence" else pa.string()
        out = out.append_column(name, pa.array(columns[name], kind))
    return out
