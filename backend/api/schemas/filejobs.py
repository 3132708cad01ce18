"""Bodies of the whole-file job endpoints (/v1/logs/jobs, /v1/sessions/jobs)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class JobProgress(BaseModel):
    phase: str = Field(description="queued | reading | classifying | summarising | done")
    rows_done: int
    rows_total: int | None = Field(None, description="Known once the file is read.")
    share: float = Field(description="rows_done / rows_total (0 while unknown).")


class JobError(BaseModel):
    status: int = Field(description="What a synchronous request would have answered.")
    detail: str


class CurvePoint(BaseModel):
    threshold: float
    coverage: float
    labelled: int
    accuracy: float | None = Field(None, description="Share of the covered rows that agree "
                                   "with the file's own labels (null without labels).")


class FileJobPublic(BaseModel):
    id: str
    kind: str = Field(description="logs | sessions")
    status: str = Field(description="queued | running | succeeded | failed | cancelled")
    filename: str
    created: float
    started: float | None = None
    finished: float | None = None
    expires: float | None = Field(None, description="When the job and its result are "
                                  "forgotten (JOB_RETENTION_S after it ended).")
    progress: JobProgress
    result: dict[str, Any] | None = Field(None, description="When succeeded: model_version, "
                                          "threshold, rows, columns (result -> CSV column), "
                                          "summary (coverage, by tier / label, row "
                                          "accounting), warnings, agreement, curve (points "
                                          "of CurvePoint). The labelled CSV is GET "
                                          ".../jobs/{id}/result.")
    error: JobError | None = None
