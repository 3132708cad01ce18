"""The classify endpoints' other bodies: raw log text and records from log shippers.

`POST /v1/logs/classify` takes, besides `{logs: [...]}`, a `text/plain` body of
raw log lines (parsed by `log_format`) and NDJSON or a JSON array of arbitrary
records (Vector, Fluent Bit). `POST /v1/logs/classify/csv` takes a `.log` / `.txt`
upload the same way. Parsing lives in `backend.logs` (the bulk CLI uses it too);
this module only turns requests into records and predictions into answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from backend.api.learning import caller_name, get_learning
from backend.api.limits import check_message_lengths
from backend.api.metrics import observe_predictions
from backend.api.schemas.logs import ClassifyRequest
from backend.api.uploads import (
    accounting_headers,
    inflate_upload,
    parse_json_body,
    warnings_header,
)
from backend.core.cancel import gil_bound_work
from backend.core.config import Settings
from backend.core.errors import BadInputError, ProblemError
from backend.core.tabular import check_row_limit
from backend.logs.classifier import LogClassifier
from backend.logs.logformat import LogFormatError, resolve, uses_level
from backend.logs.memory import MemoryView
from backend.logs.rawlog import (
    SOURCE,
    LogReading,
    ParseStats,
    RawLogOptions,
    RawRecord,
    RecordTooLong,
    TooManyRecords,
    parse_text,
)
from backend.logs.shipped import labelled, parse_body, split_fields
from backend.logs.usecase import (
    ClassifyOptions,
    LogResult,
    clash_warnings,
    classify_rows,
    output_names,
)
from sift_tables import TableError, decode

TEXT_TYPES = ("text/plain", "text/x-log")
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl",
                "application/x-jsonlines", "application/json-seq")
RAW_LOG_SUFFIXES = (".log", ".txt", ".log.gz", ".txt.gz")
_HEAD_LINES = 200


def _inline(schema: Any, defs: Mapping[str, Any]) -> Any:
    """A JSON schema with its local `$defs` references written in place (for openapi_extra)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """A model's fields as OpenAPI query parameters (for openapi_extra)."""
    schema = model.model_json_schema()
    return [{"name": name, "in": "query", "required": False,
             "description": field.get("description", ""),
             "schema": {k: v for k, v in field.items() if k not in ("description", "title")}}
            for name, field in schema["properties"].items()]


_OBJECT = ClassifyRequest.model_json_schema()
_RECORDS = {"type": "array", "items": {"type": "object", "additionalProperties": True}}
# The raw-text options are read from the query only on the text path (`raw_log_options`):
# declared as a FastAPI query model they were parsed on every JSON call (~0.4 ms each).
CLASSIFY_BODIES: dict[str, Any] = {"parameters": _query_parameters(RawLogOptions),
                                   "requestBody": {"required": True, "content": {
    "application/json": {"schema": {"anyOf": [_inline(_OBJECT, _OBJECT.get("$defs", {})),
                                              _RECORDS]}},
    "application/x-ndjson": {"schema": {"type": "string"},
                             "example": '{"message": "disk full", "host": "web-1"}\n'},
    "text/plain": {"schema": {"type": "string"},
                   "example": "081109 203615 148 INFO dfs.DataNode: Received block blk_1\n"},
}}}


def json_request(body: bytes) -> ClassifyRequest:
    """The `{logs: [...]}` body, validated as FastAPI would (same 422 on a bad one)."""
    try:
        try:
            return ClassifyRequest.model_validate_json(body or b"null")
        except ValidationError as exc:
            if not any(e["type"] == "json_invalid" for e in exc.errors()):
                raise
        # lone surrogates, deep nesting, bad bytes: the standard parser, named errors
        value, scrubbed = parse_json_body(body)
        request = ClassifyRequest.model_validate(value)
        if scrubbed:
            request.warnings.append(f"{scrubbed} text value(s) held lone UTF-16 surrogates; "
                                    "each was replaced by U+FFFD")
        return request
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors, body=body) from None


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


_NEXT_OBJECT = re.compile(rb"\}[ \t\r]*\n[ \t]*\{")  # `}` newline `{`: NDJSON, not one object


def is_shipped(kind: str, body: bytes) -> bool:
    """NDJSON, or a JSON body that is an array (Vector's and Fluent Bit's `json` shape); NDJSON
    sent as `application/json` (some shippers label it so) is told by objects on new lines."""
    if kind in NDJSON_TYPES:
        return True
    head = body.lstrip()[:1]
    return kind.endswith("json") and (head == b"[" or (
        head == b"{" and _NEXT_OBJECT.search(body) is not None))


def is_raw_log(filename: str | None, log_format: object) -> bool:
    """An upload is raw log text when a format is given or the name says `.log` / `.txt`."""
    return bool(isinstance(log_format, str) and log_format.strip()) or (
        (filename or "").lower().endswith(RAW_LOG_SUFFIXES))


def decode_text(data: bytes, max_bytes: int, filename: str = "") -> tuple[str, list[str]]:
    """Raw log bytes -> text: every gzip member inflated (bounded by MAX_UPLOAD_MB), then the
    charset as for a CSV upload (BOMs, UTF-16 with or without BOM, UTF-8, cp1252, detected)."""
    data = inflate_upload(data, max_bytes, filename, "log")
    try:
        text, _encoding, warnings = decode(data, "log")
    except TableError as exc:
        raise ProblemError(exc.status, exc.message) from None
    return text, [w.replace("file is", "the log is", 1) for w in warnings]


def raw_log_options(values: Mapping[str, Any]) -> RawLogOptions:
    """The raw-log options from form fields or query parameters, or a 422 naming the bad one."""
    fields = {name: values.get(name) for name in RawLogOptions.model_fields}
    try:
        return RawLogOptions.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadInputError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


def reading_for(text: str, options: RawLogOptions, default_source: str
                ) -> tuple[LogReading, str | None]:
    """The parser for one upload (`auto` looks at its first lines), or a 422 saying what to fix."""
    head = text.split("\n", _HEAD_LINES)[:_HEAD_LINES]
    try:
        fmt, note = resolve(options.log_format, head)
        reading = LogReading(fmt, options.multiline, options.record_start, options.source_field,
                             options.source if options.source is not None else default_source)
    except LogFormatError as exc:
        raise BadInputError(str(exc)) from None
    return reading, note


def parse_within_limits(text: str, reading: LogReading, settings: Settings
                        ) -> tuple[list[RawRecord], ParseStats]:
    """Records of a raw log, refused (413 / 422) as soon as they pass MAX_ROWS_PER_REQUEST or
    one record passes MAX_MESSAGE_CHARS_HARD, before the rest is read or kept."""
    try:
        with gil_bound_work(len(text)):
            return parse_text(text, reading, settings.MAX_ROWS_PER_REQUEST,
                              settings.MAX_MESSAGE_CHARS_HARD)
    except TooManyRecords as exc:
        raise ProblemError(413, f"The log holds more than {exc.limit:,} records; the limit per "
                                "request is that (MAX_ROWS_PER_REQUEST). Split it, or use "
                                "`sift classify-file`.") from None
    except RecordTooLong as exc:
        raise BadInputError(f"The record at line {exc.line} is longer than {exc.limit:,} "
                            "characters (MAX_MESSAGE_CHARS_HARD); split or trim it, or check "
                            "`record_start` / `multiline` if lines were joined by mistake.",
                            line=exc.line) from None


async def caller_memory(request: Request) -> MemoryView | None:
    """The feedback memory as this request's caller sees it (every door asks the same)."""
    return await run_in_threadpool(get_learning(request).log_memory, caller_name(request))


async def _classify(classifier: LogClassifier, pairs: Sequence[tuple[object, ...]],
                    options: ClassifyOptions, settings: Settings, *, rows_in: int | None = None,
                    refused: int = 0) -> LogResult:
    check_row_limit(len(pairs), settings.MAX_ROWS_PER_REQUEST, "records")
    check_message_lengths([(str(p[0]), str(p[1])) for p in pairs],
                          settings.MAX_MESSAGE_CHARS_HARD)
    result = await run_in_threadpool(lambda: classify_rows(
        classifier, pairs, options, rows_in=rows_in, refused=refused))
    observe_predictions(result.predictions)
    return result


async def classify_raw_text(text: str, reading: LogReading, note: str | None,
                            classifier: LogClassifier, threshold: float | None,
                            settings: Settings, as_csv: bool, warnings: Sequence[str] = (),
                            memory: MemoryView | None = None) -> Response:
    """Parse, classify, answer: JSON records (fields + labels) or the same as CSV."""
    records, stats = await run_in_threadpool(parse_within_limits, text, reading, settings)
    if not records:
        raise BadInputError("The log has no lines to classify (empty or only blank lines).")
    rows = [reading.row(r) for r in records]
    columns = reading.columns
    at = columns.index(SOURCE)
    pairs: list[tuple[str, ...]] = [(row[at], row[-1]) for row in rows]  # (source, Content)
    level = reading.format.level_field if reading.format is not None else None
    if level is not None and uses_level(classifier.model.config):  # the model reads levels
        lv = columns.index(level)
        pairs = [(source, message, row[lv])
                 for (source, message), row in zip(pairs, rows, strict=True)]
    result = await _classify(classifier, pairs, ClassifyOptions(threshold, memory), settings)
    frame = pd.DataFrame(rows, columns=columns)
    frame["line"] = frame["line"].astype(int)
    frame["line_count"] = frame["line_count"].astype(int)
    frame["parsed"] = frame["parsed"] == "true"
    names = output_names(columns)
    for name, values in result.columns().items():
        frame[names[name]] = values
    summary = result.summary()
    fmt = reading.format.name if reading.format is not None else "none"
    notes = [*warnings, *([note] if note else []), *clash_warnings(names)]
    if stats.unmatched and reading.format is not None:
        notes.append(f"{stats.unmatched:,} record(s) did not match the format {fmt!r} and "
                     "were classified whole (parsed = false)")
    if as_csv:
        from backend.core.tabular import to_safe_csv

        body = await run_in_threadpool(to_safe_csv, frame)
        headers = {"Content-Disposition": 'attachment; filename="classified.csv"',
                   "X-Coverage": str(summary["coverage"]), "X-Model-Version": classifier.version,
                   "X-Log-Format": fmt, **accounting_headers(summary),
                   "X-Lines-Joined": str(stats.joined), "X-Lines-Unparsed": str(stats.unmatched)}
        headers.update(warnings_header(notes))
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
    return JSONResponse({
        "model_version": classifier.version, "threshold": classifier.threshold_for(threshold),
        "log_format": fmt, "columns": [*columns, *names.values()],
        "records": frame.to_dict(orient="records"), "parse": stats.as_dict(),
        "summary": summary, "warnings": notes})


async def classify_text_body(request: Request, classifier: LogClassifier, settings: Settings,
                             body: bytes) -> Response:
    """`text/plain` on `POST /v1/logs/classify`: options come as query parameters."""
    query = request.query_params
    options = raw_log_options(query)
    text, warnings = await run_in_threadpool(decode_text, body, settings.max_upload_bytes)
    reading, note = await run_in_threadpool(  # `auto` runs every preset on the head
        reading_for, text, options, "")
    return await classify_raw_text(text, reading, note, classifier, _threshold(query),
                                   settings, as_csv=False, warnings=warnings,
                                   memory=await caller_memory(request))


async def classify_shipped_body(request: Request, classifier: LogClassifier,
                                settings: Settings, body: bytes) -> Response:
    """NDJSON or a JSON array of records: each comes back with the label fields added; bad
    lines are listed by line number (items by position) and the rest classified."""
    query = request.query_params
    messages = split_fields(query.get("message_field"), settings.SHIPPED_MESSAGE_FIELDS)
    sources = split_fields(query.get("source_field"), settings.SHIPPED_SOURCE_FIELDS)
    try:
        batch = parse_body(body, messages, sources, query.get("source", ""))
    except ValueError as exc:
        raise BadInputError(str(exc)) from None
    if not batch.pairs:
        first = batch.rejected[0] if batch.rejected else None
        detail = (f"no record could be classified; first refusal: {first}" if first
                  else "the body holds no records")
        raise BadInputError(f"{detail}. Send NDJSON (one JSON object a line) or a JSON array "
                            f"of objects with a message field ({', '.join(messages)}).",
                            rejected=batch.rejected[:100])
    stated = [(*pair, level) for pair, level in zip(batch.pairs, batch.levels, strict=True)]
    result = await _classify(classifier, stated,
                             ClassifyOptions(_threshold(query), await caller_memory(request)),
                             settings, rows_in=len(batch.records), refused=len(batch.rejected))
    records, warnings = labelled(batch, result.rows())
    summary = result.summary()
    return JSONResponse({
        "model_version": classifier.version,
        "threshold": classifier.threshold_for(_threshold(query)),
        "records": records, "rejected": batch.rejected, "summary": summary,
        "message_fields": list(messages), "source_fields": list(sources),
        "warnings": [*_capped(batch.warnings), *warnings]})


def _capped(notes: Sequence[str], most: int = 100) -> list[str]:
    """The first `most` per-record warnings and how many more there were."""
    extra = [f"... and {len(notes) - most:,} more like these"] if len(notes) > most else []
    return [*notes[:most], *extra]


def _threshold(query: Mapping[str, str]) -> float | None:
    value = query.get("threshold")
    if value in (None, ""):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except ValueError:
        raise BadInputError(f"threshold={value!r} is not a number; use 0..1") from None
    if not 0.0 <= number <= 1.0:
        raise BadInputError(f"threshold={value} is outside 0..1")
    return number


async def classify_log_upload(data: bytes, filename: str, form: Mapping[str, Any],
                              classifier: LogClassifier, threshold: float | None,
                              settings: Settings, as_csv: bool,
                              memory: MemoryView | None = None) -> Response:
    """A `.log` / `.txt` file on the upload endpoints; options are form fields."""
    text, warnings = await run_in_threadpool(decode_text, data, settings.max_upload_bytes,
                                             filename)
    stem = filename.rsplit("/", 1)[-1]
    for suffix in (".gz", ".log", ".txt"):
        stem = stem[: -len(suffix)] if stem.lower().endswith(suffix) else stem
    options = raw_log_options({k: v for k, v in form.items() if isinstance(v, str)})
    reading, note = await run_in_threadpool(reading_for, text, options, stem)
    return await classify_raw_text(text, reading, note, classifier, threshold, settings,
                                   as_csv, warnings, memory)

