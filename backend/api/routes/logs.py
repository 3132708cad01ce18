"""Log classification: JSON and CSV in, labels with confidence, tier and version out."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from backend.api.deps import ClassifierDep, SettingsDep
from backend.api.learning import (
    Learning,
    caller_name,
    record_log_predictions,
)
from backend.api.limits import check_message_lengths
from backend.api.logbodies import (
    CLASSIFY_BODIES,
    TEXT_TYPES,
    caller_memory,
    classify_log_upload,
    classify_shipped_body,
    classify_text_body,
    is_raw_log,
    is_shipped,
    json_request,
    media_type,
)
from backend.api.metrics import live_traffic, observe_predictions
from backend.api.schemas.logs import ClassifyRequest, ClassifyResponse
from backend.api.state import state_of
from backend.api.uploads import (
    account,
    accounting_headers,
    check_one_file,
    read_upload,
    wants_json,
    warnings_header,
)
from backend.core.agreement import agreement_headers, file_agreement
from backend.core.config import Settings
from backend.core.tabular import append_columns, check_row_limit, read_table, to_safe_csv
from backend.logs.classifier import LogClassifier, Prediction, summarize
from backend.logs.levels import level_column
from backend.logs.usecase import (
    RESULT_COLUMNS,
    ClassifyOptions,
    classify_rows,
    classify_table,
    table_columns,
)

router = APIRouter(prefix="/v1/logs", tags=["logs"])
legacy_router = APIRouter(tags=["logs"])

REQUIRED_COLUMNS = ("source", "log_message")
OUTPUT_COLUMNS = RESULT_COLUMNS
CSV_EXAMPLE = "source,log_message\nModernCRM,User User123 logged in.\n"
LiveDep = Annotated[bool, Query(description="Count this file as live traffic: pattern "
                                            "counts, drift and label rates (default: no).")]


def _response(classifier: LogClassifier, predictions: list[Prediction], threshold: float | None,
              warnings: list[str] | None = None) -> ClassifyResponse:
    return ClassifyResponse.model_validate({
        "model_version": classifier.version,
        "threshold": classifier.threshold_for(threshold),
        "predictions": [p.to_dict() for p in predictions],
        "summary": account(summarize(predictions), len(predictions)),
        "warnings": warnings or [],
    })


@router.post("/classify", response_model=ClassifyResponse, openapi_extra=CLASSIFY_BODIES)
async def classify_logs(request: Request, classifier: ClassifierDep
                        ) -> ClassifyResponse | Response:
    """Classify logs sent as JSON `{logs: [...]}`; also NDJSON or a JSON array of records
    (Vector, Fluent Bit: `message_field`, `source_field` in the query) and raw log text
    (`text/plain`, with `log_format`). Every line comes back, in order."""
    # the single-line hot path: settings and the feedback loop from the app state rather
    # than two more dependency solves per call
    state = state_of(request)
    settings, learning = state.settings, state.learning
    body = await request.body()
    kind = media_type(request)
    if kind in TEXT_TYPES:
        return await classify_text_body(request, classifier, settings, body)
    if is_shipped(kind, body):
        return await classify_shipped_body(request, classifier, settings, body)
    return await classify_logs_json(json_request(body), classifier, settings, learning,
                                    caller_name(request))


async def classify_logs_json(body: ClassifyRequest, classifier: LogClassifier,
                             settings: Settings, learning: Learning,
                             caller: str | None) -> ClassifyResponse:
    """The `{logs: [...]}` body; `caller` names whose corrections answer it."""
    check_row_limit(len(body.logs), settings.MAX_ROWS_PER_REQUEST, "logs")
    records = [(r.source, r.log_message, r.level) for r in body.logs]  # level: evidence
    warnings = body.warnings
    check_message_lengths([r[:2] for r in records], settings.MAX_MESSAGE_CHARS_HARD)

    def answer() -> tuple[list[Prediction], list[str] | None]:
        """One worker-thread hop for memory, tiers and ids (each hop costs a loop wake-up)."""
        options = ClassifyOptions(body.threshold, learning.log_memory(caller))
        predictions = classify_rows(classifier, records, options).predictions
        # --- feedback hook (issue 6): ids that POST /v1/feedback can name ---
        return predictions, record_log_predictions(
            learning, settings.LOG_MODEL_NAME, classifier.version, predictions)

    predictions, ids = await run_in_threadpool(answer)
    observe_predictions(predictions)
    response = _response(classifier, predictions, body.threshold, warnings)
    response.prediction_ids = ids
    return response


CSV_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/csv": {"example": "source,log_message,target_label,confidence,tier,"
                                              "model_version,reason\nModernCRM,User User123 "
                                              "logged in.,User Action,1.0,rules,v1,\n"}},
          "description": "The input CSV with the label columns appended (JSON with "
                         "`Accept: application/json`)."},
    413: {"description": "File above MAX_UPLOAD_MB or too many rows"},
    415: {"description": "Not a text CSV (zip, gzip, binary)"},
    422: {"description": "Empty file, no rows, or missing columns (named in the message)"},
}


async def _classify_csv(request: Request, file: UploadFile, threshold: float | None,
                        classifier: LogClassifier, max_bytes: int, max_rows: int,
                        live: bool = False) -> Response:
    live_traffic.set(live)  # an upload feeds patterns and drift only when asked
    await check_one_file(request)
    form = await request.form()
    memory = await caller_memory(request)  # the caller's corrections, on every door
    if is_raw_log(file.filename, form.get("log_format")):  # a .log / .txt upload (issue 18)
        return await classify_log_upload(await read_upload(file, max_bytes), file.filename or "",
                                         form, classifier, threshold,
                                         state_of(request).settings, not wants_json(request),
                                         memory)
    data = await read_upload(file, max_bytes)
    table = await run_in_threadpool(read_table, data, REQUIRED_COLUMNS, max_rows)
    frame = table.frame
    # columns as lists (iterating an Arrow-backed Series boxes every cell: ~50x slower)
    sources, messages = frame["source"].tolist(), frame["log_message"].tolist()
    levels = level_column(frame)
    check_message_lengths(list(zip(sources, messages, strict=True)),
                          state_of(request).settings.MAX_MESSAGE_CHARS_HARD, first_row=1)
    batch = await run_in_threadpool(
        lambda: classify_table(classifier, sources, messages, levels,
                               ClassifyOptions(threshold, memory)))
    rows = batch.rows()
    observe_predictions(rows)
    agreed = file_agreement(frame, batch.column("label").tolist(),
                            state_of(request).settings.LABEL_COLUMN)
    if wants_json(request):
        predictions = batch.predictions(sources, messages)
        answer = _response(classifier, predictions, threshold, table.warnings)
        answer.agreement = agreed
        return Response(answer.model_dump_json(), media_type="application/json")
    results = table_columns(batch, classifier.version)
    results["confidence"] = pd.Series(results["confidence"], dtype="float64", index=frame.index)
    frame, renamed = append_columns(frame, results)
    warnings = [*table.warnings, *renamed]
    summary = account(summarize(rows), len(frame))
    headers = {"Content-Disposition": 'attachment; filename="classified.csv"',
               "X-Coverage": str(summary["coverage"]), "X-Model-Version": classifier.version,
               **accounting_headers(summary)}
    headers.update(warnings_header(warnings))
    if agreed is not None:
        headers.update(agreement_headers(agreed))
    body = await run_in_threadpool(to_safe_csv, frame)
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/classify/csv", responses=CSV_RESPONSES, response_class=Response)
async def classify_logs_csv(
    request: Request, classifier: ClassifierDep, settings: SettingsDep,
    file: Annotated[UploadFile, File(description=f"CSV with columns source,log_message. "
                                                 f"Example:\n{CSV_EXAMPLE}")],
    threshold: Annotated[float | None, Form(ge=0.0, le=1.0)] = None,
    live: LiveDep = False,
) -> Response:
    """Classify an uploaded CSV; returns it with target_label, confidence, tier,
    model_version and reason appended (JSON when `Accept: application/json`). A raw
    `.log` / `.txt` file (optionally .gz) is parsed by the form field `log_format` (a
    Loghub-style format, a preset or `auto`) and comes back with its parsed fields.
    `live=true` counts the file as live traffic (patterns, drift, label rates)."""
    return await _classify_csv(request, file, threshold, classifier, settings.max_upload_bytes,
                               settings.MAX_ROWS_PER_REQUEST, live)


@legacy_router.post("/classify", responses=CSV_RESPONSES, response_class=Response)
async def classify_logs_csv_alias(
    request: Request, classifier: ClassifierDep, settings: SettingsDep,
    file: Annotated[UploadFile, File(description="CSV with columns source,log_message")],
    threshold: Annotated[float | None, Form(ge=0.0, le=1.0)] = None,
    live: LiveDep = False,
) -> Response:
    """Alias of `POST /v1/logs/classify/csv`, kept for clients of the reference systems."""
    return await _classify_csv(request, file, threshold, classifier, settings.max_upload_bytes,
                               settings.MAX_ROWS_PER_REQUEST, live)
