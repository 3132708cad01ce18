"""Bodies of the retrain and job endpoints (/v1/models/{name}/retrain, /v1/jobs/{job_id})."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RetrainRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{}]})  # the defaults

    rows: int | None = Field(default=None, ge=100, le=20_000,
                             description="Generated base rows (default: as the served version).")
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1,
                             description="Training seed, 0 .. 2**32-1 (numpy's range).")


class JobPublic(BaseModel):
    id: str
    kind: str
    status: str = Field(description="queued | running | succeeded | failed")
    created: float
    started: float | None = None
    finished: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
