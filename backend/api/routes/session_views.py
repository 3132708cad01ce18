"""What an analyst does with a tagged event log: process views, agreement, XES out.

Both routes take a tagged log (the CSV or JSON-as-CSV that /v1/sessions/predict/csv
returns, or any CSV/XES with a case, a timestamp and sift's step columns), so they work
the same whichever way the log was tagged (chunks from the UI, the CLI, a bulk job).
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from backend.api.deps import ManagerDep, SettingsDep, pick_step_model
from backend.api.uploads import check_one_file, read_upload, warnings_header
from backend.core.config import Settings
from backend.registry.active import ModelManager
from backend.sessions.eventfile import read_event_bytes
from backend.sessions.tagged import TaggedColumns, tagged_columns, tagged_views, tagged_xes

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

FILE_HELP = ("A tagged event log: CSV (as /v1/sessions/predict/csv returns it) or XES, with "
             "the case id, the timestamp and sift's step column (`step_name`, or "
             "`sift_step_name` when the input had its own).")
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown step model (used for the default column names)"},
    413: {"description": "File above MAX_UPLOAD_MB or too many rows"},
    422: {"description": "A column not found (named, with the columns found), bad "
                         "timestamps, blank case ids, no rows"},
}

FileField = Annotated[UploadFile, File(description=FILE_HELP)]
ModelField = Annotated[str | None, Form(max_length=128, description=(
    "Step model whose case and timestamp columns are the defaults (default "
    "STEP_MODEL_NAME)"))]
CaseColumn = Annotated[str | None, Form(max_length=256, description="Case / session id column "
                                        "(default: the model's)")]
TimeColumn = Annotated[str | None, Form(max_length=256, description="Timestamp column "
                                        "(default: the model's)")]
StepColumn = Annotated[str | None, Form(max_length=256, description="sift's step column "
                                        "(default: sift_step_name if present, else step_name)")]


async def _read(request: Request, file: UploadFile, manager: ModelManager, settings: Settings,
                model: str | None, case_column: str | None, timestamp_column: str | None
                ) -> tuple[bytes, str, str]:
    """The upload and the case/time column names to look for."""
    if case_column is None or timestamp_column is None:
        _, tagger = await run_in_threadpool(pick_step_model, manager, settings, model)
        cols = tagger.featurizer.columns
        case_column = case_column or cols.session
        timestamp_column = timestamp_column or cols.timestamp
    await check_one_file(request)
    data = await read_upload(file, settings.max_upload_bytes)
    return data, case_column, timestamp_column


def _table(data: bytes, filename: str | None, case: str, timestamp: str, step: str | None,
           settings: Settings) -> tuple[pd.DataFrame, TaggedColumns, list[str]]:
    frame, warnings = read_event_bytes(data, filename, [case, timestamp],
                                       settings.MAX_ROWS_PER_REQUEST,
                                       max_bytes=settings.max_upload_bytes * 20)
    return frame, tagged_columns(frame, case, timestamp, step), warnings


def _views(data: bytes, filename: str | None, case_column: str, timestamp_column: str,
           step_column: str | None, label_column: str | None, case: str | None, top: int,
           settings: Settings) -> JSONResponse:
    frame, cols, warnings = _table(data, filename, case_column, timestamp_column, step_column,
                                   settings)
    views = tagged_views(frame, cols, case, top, label_column)
    views["warnings"] = [*warnings, *views["warnings"]]
    return JSONResponse(views)


@router.post("/views", responses=COMMON_RESPONSES)
async def read_session_views(
    request: Request, manager: ManagerDep, settings: SettingsDep, file: FileField,
    model: ModelField = None, case_column: CaseColumn = None,
    timestamp_column: TimeColumn = None, step_column: StepColumn = None,
    label_column: Annotated[str | None, Form(max_length=256, description=(
        "The log's own activity / label column: adds `agreement` (accuracy, macro-F1, "
        "confusion, disagreeing rows first)"))] = None,
    case: Annotated[str | None, Form(max_length=1024, description=(
        "Case whose timeline is returned (default: the first case)"))] = None,
    top_variants: Annotated[int, Form(ge=1, le=1000)] = 20,
) -> JSONResponse:
    """Process views of a tagged event log: directly-follows graph of the steps (counts,
    median transition times), variants with case durations, one case's timeline, per-step
    durations; abstained events are the step `Unclassified`, never dropped."""
    data, case_column, timestamp_column = await _read(
        request, file, manager, settings, model, case_column, timestamp_column)
    return await run_in_threadpool(_views, data, file.filename, case_column, timestamp_column,
                                   step_column, label_column or None, case, top_variants,
                                   settings)


def _xes(data: bytes, filename: str | None, case_column: str, timestamp_column: str,
         step_column: str | None, settings: Settings) -> Response:
    frame, cols, warnings = _table(data, filename, case_column, timestamp_column, step_column,
                                   settings)
    export = tagged_xes(frame, cols)
    headers = {"Content-Disposition": 'attachment; filename="tagged.xes"',
               "X-Traces": str(export.traces), "X-Events": str(export.events)}
    headers.update(warnings_header([*warnings, *export.warnings]))
    return Response(export.text.encode("utf-8"), media_type="application/xml",
                    headers=headers)


@router.post("/xes", responses={**COMMON_RESPONSES, 200: {
    "content": {"application/xml": {}}, "description": "The tagged log as XES: the step in "
    "concept:name (Unclassified when abstained), the log's own concept:name as "
    "original:concept:name, sift:confidence, sift:abstained, sift:predicted_step, "
    "sift:reason, sift:model_version, sift:row; every other column kept under its name."}},
    response_class=Response)
async def export_session_xes(
    request: Request, manager: ManagerDep, settings: SettingsDep, file: FileField,
    model: ModelField = None, case_column: CaseColumn = None,
    timestamp_column: TimeColumn = None, step_column: StepColumn = None,
) -> Response:
    """A tagged event log as XES (IEEE 1849) for process-mining tools; every event kept."""
    data, case_column, timestamp_column = await _read(
        request, file, manager, settings, model, case_column, timestamp_column)
    return await run_in_threadpool(_xes, data, file.filename, case_column, timestamp_column,
                                   step_column, settings)
