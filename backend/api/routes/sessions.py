"""Step tagging of task-mining sessions: JSON, CSV or XES events in, per-event steps out.

Any registered step model is served by name (`model`; default STEP_MODEL_NAME).
JSON answers carry a prediction id per event for POST /v1/feedback.
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from backend.api.deps import ManagerDep, SettingsDep, pick_step_model
from backend.api.learning import Learning, LearningDep
from backend.api.schemas.sessions import PredictStepsRequest, PredictStepsResponse
from backend.api.uploads import (
    accounting_headers,
    check_one_file,
    read_upload,
    wants_json,
    warnings_header,
)
from backend.core.config import Settings
from backend.core.tabular import check_row_limit, to_safe_csv
from backend.sessions.columns import AlignedEvents
from backend.sessions.eventfile import read_model_events
from backend.sessions.feedback import record_step_predictions
from backend.sessions.predictor import StepPredictor
from backend.sessions.service import tag_frame

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

CSV_EXAMPLE = ("session_id,timestamp,event_name,action_type,target_app,file_extension,"
               "file_path_depth,is_sharepoint,event_name_length,window_title\n"
               "S1,2026-01-05T08:00:01Z,open_email,click,Outlook,,0,0,10,Inbox - Outlook\n")


def _response(tagger: StepPredictor, events: AlignedEvents, threshold: float | None,
              warnings: list[str] | None = None, name: str = "",
              learning: Learning | None = None) -> JSONResponse:
    """Built directly (shape = PredictStepsResponse): validating 100k rows twice costs more
    than the model."""
    tagged = tag_frame(tagger, events, threshold)
    recorded = (record_step_predictions(learning, name, tagger, tagged)
                if learning is not None else None)
    ids: list[str | None] = list(recorded) if recorded else [None] * len(tagged.table)
    columns = {"index": range(len(tagged.table)), "prediction_id": ids,
               "session_id": tagged.table[tagger.featurizer.columns.session].astype(str)
               .tolist(),
               "step_name": tagged.column("step_name").tolist(),
               "confidence": tagged.column("confidence").astype(float).tolist(),
               "abstained": tagged.column("abstained").astype(bool).tolist(),
               "predicted_step": tagged.column("predicted_step").tolist(),
               "reason": tagged.column("reason").tolist()}
    predictions = [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(),
                                                                       strict=True)]
    return JSONResponse({"model": name, "model_version": tagger.version,
                         "threshold": tagged.threshold, "coverage": tagged.coverage,
                         "summary": tagged.summary(), "predictions": predictions,
                         "warnings": [*(warnings or []), *tagged.warnings]})


@router.post("/predict", response_model=PredictStepsResponse)
async def predict_steps(body: PredictStepsRequest, manager: ManagerDep, settings: SettingsDep,
                        learning: LearningDep) -> JSONResponse:
    """Tag every event with its business step, confidence and abstain flag (input order),
    by the step model named in `model`; each prediction has an id for feedback."""
    name, tagger = await run_in_threadpool(pick_step_model, manager, settings, body.model)
    check_row_limit(len(body.events), settings.MAX_ROWS_PER_REQUEST, "events")
    warnings = body.scrub()
    events = tagger.align(pd.DataFrame.from_records(body.events))  # the one header match
    return await run_in_threadpool(_response, tagger, events, body.threshold, warnings, name,
                                   learning)


CSV_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"example": "session_id,timestamp,event_name,...,step_name,"
                                              "confidence,abstained,predicted_step,reason,"
                                              "model_version\n"}},
          "description": "The input CSV with step_name, confidence, abstained, predicted_step, "
                         "reason and model_version appended (JSON with Accept: application/json)."},
    413: {"description": "File above MAX_UPLOAD_MB or too many rows"},
    415: {"description": "Not a text CSV"},
    404: {"description": "Unknown step model"},
    422: {"description": "Missing columns (named), bad timestamps, empty session ids, no rows"},
}


def _tag_csv(tagger: StepPredictor, data: bytes, filename: str | None, threshold: float | None,
             settings: Settings, as_json: bool, name: str, learning: Learning) -> Response:
    events, read_warnings = read_model_events(
        data, filename, tagger.required_columns, tagger.optional_columns,
        settings.MAX_ROWS_PER_REQUEST, max_bytes=settings.max_upload_bytes * 20)
    if as_json:
        return _response(tagger, events, threshold, read_warnings, name, learning)
    tagged = tag_frame(tagger, events, threshold)
    summary = tagged.summary()
    headers = {"Content-Disposition": 'attachment; filename="steps.csv"',
               "X-Coverage": str(tagged.coverage), "X-Model": name,
               "X-Model-Version": tagger.version, **accounting_headers(summary)}
    warnings = [*read_warnings, *tagged.warnings]
    headers.update(warnings_header(warnings))
    return Response(to_safe_csv(tagged.table), media_type="text/csv; charset=utf-8",
                    headers=headers)


@router.post("/predict/csv", responses=CSV_RESPONSES, response_class=Response)
async def predict_steps_csv(
    request: Request, manager: ManagerDep, settings: SettingsDep, learning: LearningDep,
    file: Annotated[UploadFile, File(description="Event CSV, or an XES log (.xes, .xes.gz; "
                                                 f"case attributes as case:<key>). Example "
                                                 f"CSV:\n{CSV_EXAMPLE}")],
    threshold: Annotated[float | None, Form(ge=0.0, le=1.0)] = None,
    model: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """Tag an uploaded event CSV or XES log; returns the events with the step columns
    appended (CSV, or JSON with prediction ids when Accept: application/json)."""
    name, tagger = await run_in_threadpool(pick_step_model, manager, settings, model)
    await check_one_file(request)
    data = await read_upload(file, settings.max_upload_bytes)
    return await run_in_threadpool(_tag_csv, tagger, data, file.filename, threshold, settings,
                                   wants_json(request), name, learning)
