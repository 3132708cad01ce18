"""Step tagging of task-mining sessions: JSON or CSV events in, per-event steps out."""

from __future__ import annotations

import math
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, PrivateAttr, field_validator

from backend.api.deps import ManagerDep, SettingsDep, active_model
from backend.api.uploads import accounting_headers, check_one_file, read_upload, wants_json
from backend.core.tabular import check_row_limit, read_table, to_safe_csv
from backend.sessions.predictor import StepPredictor
from backend.sessions.service import tag_frame
from sift_tables import scrub_surrogates

MODEL_NAME = "step-tagger"
router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

Scalar = str | int | float | bool | None
EVENT_EXAMPLE: dict[str, Scalar] = {
    "session_id": "S1", "timestamp": "2026-01-05T08:00:01Z", "event_name": "open_email",
    "action_type": "click", "target_app": "Outlook", "file_extension": "",
    "file_path_depth": 0, "is_sharepoint": 0, "event_name_length": 10,
    "window_title": "Invoice 48213 from Globex - Message"}
CSV_EXAMPLE = ("session_id,timestamp,event_name,action_type,target_app,file_extension,"
               "file_path_depth,is_sharepoint,event_name_length,window_title\n"
               "S1,2026-01-05T08:00:01Z,open_email,click,Outlook,,0,0,10,Inbox - Outlook\n")


class PredictStepsRequest(BaseModel):
    events: list[dict[str, Scalar]] = Field(
        ..., min_length=1, description="One object per event; keys are the model's columns "
        "(see GET /v1/models). Unknown values are fine; missing columns are named in a 422.",
        examples=[[EVENT_EXAMPLE]])
    threshold: float | None = Field(None, ge=0.0, le=1.0,
                                    description="Abstain below this (default: the model's).")
    _scrubbed: int = PrivateAttr(default=0)

    @field_validator("events")
    @classmethod
    def _finite_numbers(cls, events: list[dict[str, Scalar]]) -> list[dict[str, Scalar]]:
        """A number no float can hold (1e400, 10**400) is named, not a 500 later."""
        for i, event in enumerate(events):
            for key, value in event.items():
                if isinstance(value, int | float) and not isinstance(value, bool) and (
                        not _finite(value)):
                    raise ValueError(f"events[{i}].{key}: {str(value)[:40]} is not a finite "
                                     "number a float can hold (|x| < 1.8e308)")
        return events

    def scrub(self) -> list[str]:
        """Lone surrogates in text values -> U+FFFD; a warning naming the first event."""
        rows = []
        for i, event in enumerate(self.events):
            for key, value in event.items():
                if isinstance(value, str):
                    event[key], n = scrub_surrogates(value)
                    if n and (not rows or rows[-1] != i):
                        rows.append(i)
        if not rows:
            return []
        return [f"{len(rows)} event(s) held lone UTF-16 surrogates (first at event {rows[0]}); "
                "each was replaced by U+FFFD"]


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


class StepPredictionPublic(BaseModel):
    index: int
    session_id: str
    step_name: str
    confidence: float
    abstained: bool
    predicted_step: str
    reason: str = ""


class PredictStepsResponse(BaseModel):
    model_version: str
    threshold: float
    coverage: float
    summary: dict[str, Any]
    predictions: list[StepPredictionPublic]
    warnings: list[str] = []


def get_step_tagger(manager: ManagerDep) -> StepPredictor:
    tagger: StepPredictor = active_model(manager, MODEL_NAME)
    return tagger


StepTaggerDep = Annotated[StepPredictor, Depends(get_step_tagger)]


def _response(tagger: StepPredictor, frame: pd.DataFrame, threshold: float | None,
              warnings: list[str] | None = None) -> JSONResponse:
    """Built directly (shape = PredictStepsResponse): validating 100k rows twice costs more
    than the model."""
    tagged, summary = tag_frame(tagger, frame, threshold)
    session = tagger.featurizer.columns.session
    out = summary.pop("columns")
    warnings = [*(warnings or []), *summary.pop("warnings", [])]
    columns = {"index": range(len(tagged)), "session_id": tagged[session].astype(str).tolist(),
               "step_name": tagged[out["step_name"]].tolist(),
               "confidence": tagged[out["confidence"]].astype(float).tolist(),
               "abstained": tagged[out["abstained"]].astype(bool).tolist(),
               "predicted_step": tagged[out["predicted_step"]].tolist(),
               "reason": tagged[out["reason"]].tolist()}
    predictions = [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(),
                                                                       strict=True)]
    return JSONResponse({"model_version": tagger.version, "threshold": summary["threshold"],
                         "coverage": summary["coverage"], "summary": summary,
                         "predictions": predictions, "warnings": warnings or []})


@router.post("/predict", response_model=PredictStepsResponse)
async def predict_steps(body: PredictStepsRequest, tagger: StepTaggerDep,
                        settings: SettingsDep) -> JSONResponse:
    """Tag every event with its business step, confidence and abstain flag (input order)."""
    check_row_limit(len(body.events), settings.MAX_ROWS_PER_REQUEST, "events")
    warnings = body.scrub()
    frame = pd.DataFrame.from_records(body.events)
    return await run_in_threadpool(_response, tagger, frame, body.threshold, warnings)


CSV_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"example": "session_id,timestamp,event_name,...,step_name,"
                                              "confidence,abstained,predicted_step,reason,"
                                              "model_version\n"}},
          "description": "The input CSV with step_name, confidence, abstained, predicted_step, "
                         "reason and model_version appended (JSON with Accept: application/json)."},
    413: {"description": "File above MAX_UPLOAD_MB or too many rows"},
    415: {"description": "Not a text CSV"},
    422: {"description": "Missing columns (named), bad timestamps, empty session ids, no rows"},
}


def _tag_csv(tagger: StepPredictor, data: bytes, threshold: float | None, max_rows: int,
             as_json: bool) -> Response:
    table = read_table(data, tagger.featurizer.columns.required, max_rows)
    if as_json:
        return _response(tagger, table.frame, threshold, table.warnings)
    tagged, summary = tag_frame(tagger, table.frame, threshold)
    headers = {"Content-Disposition": 'attachment; filename="steps.csv"',
               "X-Coverage": str(summary["coverage"]), "X-Model-Version": tagger.version,
               **accounting_headers(summary)}
    warnings = [*table.warnings, *summary["warnings"]]
    if warnings:
        headers["X-Warnings"] = "; ".join(warnings)[:1000].encode("ascii", "replace").decode()
    return Response(to_safe_csv(tagged), media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/predict/csv", responses=CSV_RESPONSES, response_class=Response)
async def predict_steps_csv(
    request: Request, tagger: StepTaggerDep, settings: SettingsDep,
    file: Annotated[UploadFile, File(description=f"Event CSV. Example:\n{CSV_EXAMPLE}")],
    threshold: Annotated[float | None, Form(ge=0.0, le=1.0)] = None,
) -> Response:
    """Tag an uploaded event CSV; returns it with the step columns appended."""
    await check_one_file(request)
    data = await read_upload(file, settings.max_upload_bytes)
    return await run_in_threadpool(_tag_csv, tagger, data, threshold,
                                   settings.MAX_ROWS_PER_REQUEST, wants_json(request))
