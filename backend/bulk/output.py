"""The output side: results file, errors file and the resumable progress record.

Both engines hand their classified tables, in `__row` order, to one `Sink`,
which writes whole chunks: so the local and the Ray engine produce the same
file row for row, and a resumed job knows exactly which chunks are on disk.
Compressed outputs get one gzip member per chunk, which gzip readers join.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from backend.bulk.pipeline import ERROR, INPUT, LINE, RAW, ROW, Job
from backend.core.labels import UNCLASSIFIED
from backend.core.tabular import neutralise
from backend.logs.usecase import RESULT_COLUMNS, output_names

ERROR_COLUMNS = ("line", "error", "raw")
_FORMULA = r"^[=+\-@\t\r]"


def output_format(path: Path) -> tuple[str, bool]:
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    ext = (suffixes[-2] if gz and len(suffixes) > 1 else suffixes[-1] if suffixes else "")
    fmt = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}.get(ext)
    if fmt is None or (fmt == "parquet" and gz):
        raise ValueError(f"cannot tell the output format of {path.name}; name it .csv, .jsonl "
                         "(optionally + .gz) or .parquet")
    return fmt, gz


def sidecars(output: Path) -> tuple[Path, Path]:
    """(errors file, progress file) beside the output."""
    return (output.with_name(output.name + ".errors.csv"),
            output.with_name(output.name + ".progress.json"))


def _spreadsheet_safe(table: pa.Table) -> pa.Table:
    """Text cells that would start a spreadsheet formula get a leading quote (as the API)."""
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type):
            risky = pc.match_substring_regex(column, _FORMULA)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.table(columns, names=[neutralise(n) for n in table.column_names])


def _csv_text(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([[neutralise(v) if isinstance(v, str) else ("" if v is None else v)
                       for v in row] for row in rows])
    return buffer.getvalue()


class Sink:
    """Writes classified tables chunk by chunk and records progress after each chunk."""

    def __init__(self, output: Path, job: Job, input_columns: list[str], model: str,
                 resume: bool = False) -> None:
        self.output, self.job = output, job
        self.fmt, self.gz = output_format(output)
        self.errors_path, self.progress_path = sidecars(output)
        self.parts = output.with_name(output.name + ".parts")
        # the API's clash policy: an input column keeps its name, the result is sift_<name>
        names = output_names(input_columns)
        self.columns = [INPUT + c if c in RESULT_COLUMNS else c for c in input_columns] + list(
            RESULT_COLUMNS)  # as the chunk carries them
        self.names = [*input_columns, *(names[c] for c in RESULT_COLUMNS)]  # as written
        stat = job.input.stat()
        self.identity = {"input": str(job.input), "input_size": stat.st_size,
                         "input_mtime_ns": stat.st_mtime_ns, "format": job.fmt,
                         "source_column": job.source_column,
                         "message_column": job.message_column, "delimiter": job.delimiter,
                         "chunk_size": job.chunk_size, "model": model,
                         "log": list(job.log.model_dump().values()) if job.log else None,
                         "output_format": [self.fmt, self.gz]}
        self.state: dict[str, Any] = {"chunks_done": 0, "rows_done": 0, "written": 0,
                                      "skipped": 0, "output_bytes": 0, "errors_bytes": 0,
                                      "by_label": {}, "by_tier": {}, "by_stage": {},
                                      "elapsed_s": 0.0,
                                      "complete": False}
        if resume and self.progress_path.is_file():
            self._load_progress()
        else:
            self._start_fresh()
        self.labels = Counter(self.state["by_label"])
        self.tiers = Counter(self.state["by_tier"])
        self.stages = Counter(self.state.get("by_stage", {}))
        self.expected = self.state["rows_done"]
        self.pending: list[pa.Table] = []
        self.pending_rows = 0

    @property
    def done(self) -> bool:
        """A resumed job that had already finished."""
        return bool(self.state["complete"])

    @property
    def skip_chunks(self) -> int:
        return int(self.state["chunks_done"])

    def _start_fresh(self) -> None:
        for path in (self.output, self.errors_path, self.progress_path):
            path.unlink(missing_ok=True)
        shutil.rmtree(self.parts, ignore_errors=True)
        self.output.parent.mkdir(parents=True, exist_ok=True)
        if self.fmt == "parquet":
            self.parts.mkdir()
        self._save_progress()

    def _load_progress(self) -> None:
        saved = json.loads(self.progress_path.read_text(encoding="utf-8"))
        changed = [k for k, v in self.identity.items() if saved.get("job", {}).get(k) != v]
        if changed:
            raise ValueError(f"{self.progress_path.name} belongs to a different job "
                             f"({', '.join(changed)} changed); drop --resume to start over")
        self.state.update(saved["state"])
        if self.state["complete"]:
            return  # nothing to redo; `done` tells the caller
        self._truncate(self.errors_path, self.state["errors_bytes"])
        if self.fmt == "parquet":
            self.output.unlink(missing_ok=True)
            self.parts.mkdir(exist_ok=True)
            for part in self.parts.glob("part-*.parquet"):
                if int(part.stem.split("-")[1]) >= self.state["chunks_done"]:
                    part.unlink()
        else:
            self._truncate(self.output, self.state["output_bytes"])

    @staticmethod
    def _truncate(path: Path, size: int) -> None:
        """Cut off anything written after the last recorded chunk (a crash mid-chunk)."""
        if path.exists() and path.stat().st_size > size:
            with open(path, "r+b") as handle:
                handle.truncate(size)

    def _save_progress(self) -> None:
        self.state["by_label"] = dict(getattr(self, "labels", {}))
        self.state["by_tier"] = dict(getattr(self, "tiers", {}))
        self.state["by_stage"] = dict(getattr(self, "stages", {}))
        tmp = self.progress_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"job": self.identity, "state": self.state}, indent=2),
                       encoding="utf-8")
        os.replace(tmp, self.progress_path)

    def write(self, table: pa.Table) -> int:
        """Accept any slice of the ordered result; whole chunks go to disk. Returns rows taken."""
        if table.num_rows == 0:
            return 0
        rows = table.column(ROW)
        first, last = rows[0].as_py(), rows[-1].as_py()
        start = self.expected + self.pending_rows
        if first != start or last - first + 1 != table.num_rows:
            raise RuntimeError(f"rows arrived out of order: expected row {start}, got "
                               f"{first}..{last}")
        self.pending.append(table)
        self.pending_rows += table.num_rows
        size = self.job.chunk_size
        while self.pending_rows >= size:
            merged = pa.concat_tables(self.pending)
            self._write_chunk(merged.slice(0, size))
            rest = merged.slice(size)
            self.pending, self.pending_rows = ([rest] if rest.num_rows else []), rest.num_rows
        return table.num_rows

    def finish(self, elapsed_s: float) -> dict[str, Any]:
        """Write the last partial chunk, assemble Parquet parts, mark the job complete."""
        if self.pending_rows:
            self._write_chunk(pa.concat_tables(self.pending))
            self.pending, self.pending_rows = [], 0
        if self.fmt == "parquet":
            self._merge_parts()
        self.state["elapsed_s"] = round(self.state["elapsed_s"] + elapsed_s, 3)
        self.state["complete"] = True
        self._save_progress()
        return self.summary()

    def summary(self) -> dict[str, Any]:
        written = self.state["written"]
        classified = written - self.labels.get(UNCLASSIFIED, 0)
        return {"rows": self.state["rows_done"], "written": written,
                "skipped": self.state["skipped"], "classified": classified,
                "coverage": round(classified / written, 4) if written else 0.0,
                "by_label": dict(self.labels.most_common()),
                "by_tier": dict(self.tiers.most_common()),
                "by_stage": dict(self.stages.most_common()),
                "output": str(self.output),
                "errors_file": str(self.errors_path) if self.state["skipped"] else None,
                **({"log_format": self.job.log.log_format or "none",
                    "unparsed": self.state.get("unparsed", 0),
                    "lines_joined": self.state.get("lines_joined", 0)}
                   if self.job.log is not None else {})}

    def _write_chunk(self, chunk: pa.Table) -> None:
        errors = chunk.column(ERROR).is_null()
        good = chunk.filter(errors)
        bad = chunk.filter(pc.invert(errors))
        if self.fmt == "parquet":
            pq.write_table(self._output(good),
                           self.parts / f"part-{self.state['chunks_done']:06d}.parquet")
        else:
            self.state["output_bytes"] += self._append(self.output, self._encode(good),
                                                       self.gz)
        if bad.num_rows:
            rows = list(zip(bad.column(LINE).to_pylist(), bad.column(ERROR).to_pylist(),
                            bad.column(RAW).to_pylist(), strict=True))
            header = "" if self.state["errors_bytes"] else _csv_text([list(ERROR_COLUMNS)])
            text = header + _csv_text([list(r) for r in rows])
            self.state["errors_bytes"] += self._append(self.errors_path, text.encode(), False)
        if self.job.log is not None and good.num_rows:  # raw logs: header misses, joined lines
            self.state["unparsed"] = self.state.get("unparsed", 0) + pc.sum(
                pc.equal(good.column("parsed"), "false")).as_py()
            self.state["lines_joined"] = self.state.get("lines_joined", 0) + pc.sum(
                pc.cast(good.column("line_count"), pa.int64())).as_py() - good.num_rows
        self.labels.update(good.column("target_label").to_pylist())
        self.tiers.update(good.column("tier").to_pylist())
        self.stages.update(s for s in good.column("stage").to_pylist() if s)
        self.state["chunks_done"] += 1
        self.state["rows_done"] += chunk.num_rows
        self.state["written"] += good.num_rows
        self.state["skipped"] += bad.num_rows
        self.expected += chunk.num_rows
        self._save_progress()

    def _encode(self, good: pa.Table) -> bytes:
        """Vectorised (Arrow / pandas writers): this runs for every row of the job."""
        table = self._output(good)
        if self.fmt == "jsonl":
            if not table.num_rows:
                return b""
            text = table.to_pandas().to_json(orient="records", lines=True, force_ascii=False)
            return text.encode("utf-8") if text.endswith("\n") else (text + "\n").encode()
        table = _spreadsheet_safe(table)
        buffer = io.BytesIO()
        options = pa_csv.WriteOptions(include_header=not self.state["output_bytes"],
                                      quoting_style="needed")
        pa_csv.write_csv(table, buffer, options)
        return buffer.getvalue()

    def _output(self, good: pa.Table) -> pa.Table:
        """The columns as written: input names kept, results beside them, and a raw log's
        `parsed` flag in the API's boolean format (CSV True / False, JSON true / false)."""
        table = good.select(self.columns).rename_columns(self.names)
        if self.job.log is not None and "parsed" in table.column_names:
            at = table.column_names.index("parsed")
            flag = pc.equal(table.column(at), "true")
            value = (pc.if_else(flag, "True", "False") if self.fmt == "csv" else flag)
            table = table.set_column(at, "parsed", value)
        return table

    @staticmethod
    def _append(path: Path, data: bytes, gz: bool) -> int:
        if gz:
            data = gzip.compress(data, compresslevel=1, mtime=0)
        with open(path, "ab") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return len(data)

    def _merge_parts(self) -> None:
        parts = sorted(self.parts.glob("part-*.parquet"))
        schema = pq.read_schema(parts[0]) if parts else None
        tmp = self.output.with_name(self.output.name + ".tmp")
        if schema is None:
            pq.write_table(pa.table({c: pa.array([], pa.string()) for c in self.names}), tmp)
        else:
            with pq.ParquetWriter(tmp, schema) as writer:
                for part in parts:
                    writer.write_table(pq.read_table(part))
        os.replace(tmp, self.output)
        shutil.rmtree(self.parts, ignore_errors=True)
