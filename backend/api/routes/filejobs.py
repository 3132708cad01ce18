"""Whole-file jobs: a log file or an event log uploaded once, run in the background on the
bulk engine, polled for progress, then read as a summary, a curve and a labelled CSV.

`POST /v1/logs/jobs` (CSV, NDJSON, raw `.log` / `.txt`, any of them gzip'd) and
`POST /v1/sessions/jobs` (event CSV, XES) answer 202 with the job; `GET .../jobs/{id}`
reports progress and, once done, the result; `GET .../jobs/{id}/result` is the CSV;
`DELETE .../jobs/{id}` cancels. A job is shown only to the caller who started it (or
the admin), counts against that caller's JOB_QUOTA rows and LLM quota, and is kept
JOB_RETENTION_S after it ends. Bounds are the synchronous doors': MAX_UPLOAD_MB (also
once unpacked) and MAX_ROWS_PER_REQUEST.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse

from backend.api.auth import Caller, client_id
from backend.api.deps import ClassifierDep, ManagerDep, SettingsDep, pick_step_model
from backend.api.learning import Learning, LearningDep, caller_name
from backend.api.logbodies import raw_log_options
from backend.api.schemas.filejobs import FileJobPublic
from backend.api.uploads import check_one_file, inflate_upload, read_upload
from backend.bulk.filejobs import FileJob, FileJobs, Progress
from backend.bulk.logjob import LogFileLimits, run_log_job
from backend.bulk.logtext import LogOptions
from backend.bulk.pipeline import Job
from backend.bulk.stepjob import run_step_job
from backend.core.errors import ProblemError
from backend.core.inflate import GZIP_MAGIC

logs_router = APIRouter(prefix="/v1/logs/jobs", tags=["logs"])
sessions_router = APIRouter(prefix="/v1/sessions/jobs", tags=["sessions"])

LOG_SUFFIXES = {".csv": ".csv", ".tsv": ".csv", ".jsonl": ".jsonl", ".ndjson": ".jsonl",
                ".json": ".jsonl", ".log": ".log", ".txt": ".log"}
EVENT_SUFFIXES = (".csv", ".txt", ".xes")
RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"description": "The job, queued; poll `Location`."},
    404: {"description": "No such job for this caller"},
    413: {"description": "File above MAX_UPLOAD_MB (also once unpacked)"},
    422: {"description": "A file sift cannot read as this kind (the message names it)"},
    429: {"description": "JOB_MAX_PER_CLIENT jobs already queued or running"}}


def _owner(request: Request) -> tuple[str, bool]:
    """Who the job belongs to (the credential's name, else the peer) and whether the
    caller is the admin (who may read every job)."""
    caller = request.scope.get("state", {}).get("caller")
    return client_id(request.scope), isinstance(caller, Caller) and caller.role == "admin"


def _unpacked(data: bytes, max_bytes: int, filename: str) -> tuple[bytes, str]:
    """A gzip'd upload inflated within MAX_UPLOAD_MB (every member), and its name without
    `.gz`; the readers then see plain text, as on the synchronous doors."""
    name = filename.rsplit("/", 1)[-1]
    if not data.startswith(GZIP_MAGIC):
        return data, name
    data = inflate_upload(data, max_bytes, name)
    return data, name[:-3] if name.lower().endswith(".gz") else name


def _public(job: FileJob, files: FileJobs) -> FileJobPublic:
    return FileJobPublic.model_validate(job.public(files.retention_s))


def _accepted(job: FileJob, files: FileJobs, prefix: str) -> JSONResponse:
    return JSONResponse(_public(job, files).model_dump(), status_code=202,
                        headers={"Location": f"{prefix}/{job.id}"})


def _file_jobs(learning: Learning) -> FileJobs:
    return learning.file_jobs


@logs_router.post("", status_code=202, response_model=FileJobPublic, responses=RESPONSES)
async def create_log_job(
    request: Request, classifier: ClassifierDep, settings: SettingsDep, learning: LearningDep,
    file: Annotated[UploadFile, File(description="A CSV (source, log_message), NDJSON, or a "
                                                 "raw .log / .txt file; plain or .gz")],
    log_format: Annotated[str | None, Form(max_length=2000, description="Raw logs: a preset, "
                                           "a Loghub-style format or auto")] = None,
    multiline: Annotated[bool, Form()] = True,
    record_start: Annotated[str | None, Form(max_length=500)] = None,
    source_field: Annotated[str | None, Form(max_length=200)] = None,
    source: Annotated[str | None, Form(max_length=200, description="Raw logs: the source of "
                                       "every record (default: the file name)")] = None,
) -> JSONResponse:
    """Classify a whole log file in the background; poll the job for progress and result."""
    wanted = raw_log_options({"log_format": log_format, "multiline": multiline,
                              "record_start": record_start, "source_field": source_field,
                              "source": source})
    await check_one_file(request)
    raw = await read_upload(file, settings.max_upload_bytes)
    data, name = await run_in_threadpool(_unpacked, raw, settings.max_upload_bytes,
                                         file.filename or "")
    suffix = ".log" if wanted.log_format else LOG_SUFFIXES.get(Path(name).suffix.lower())
    if suffix is None:
        raise ProblemError(415, f"Cannot tell what {name!r} holds: send a .csv, .ndjson / "
                                ".jsonl, or a raw .log / .txt (optionally .gz), or give "
                                "log_format for raw log text.")
    stem = Path(name).stem if suffix == ".log" else None
    options = LogOptions(**wanted.model_dump(exclude={"source"}), source=wanted.source or stem)
    memory = learning.log_memory(caller_name(request))
    limits = LogFileLimits(settings.MAX_ROWS_PER_REQUEST, settings.LABEL_COLUMN)
    files = _file_jobs(learning)

    def work(progress: Progress, path: Path) -> dict[str, Any]:
        job = Job.for_file(path, None, log=options if suffix == ".log" else None,
                           chunk_size=settings.JOB_CHUNK_ROWS)
        return run_log_job(progress, job, classifier, memory, limits,
                           path.parent / "result.csv")

    owner, _ = _owner(request)
    job = files.submit("logs", owner, name, data, suffix, work)
    return _accepted(job, files, logs_router.prefix)


@sessions_router.post("", status_code=202, response_model=FileJobPublic, responses=RESPONSES)
async def create_session_job(
    request: Request, manager: ManagerDep, settings: SettingsDep, learning: LearningDep,
    file: Annotated[UploadFile, File(description="An event CSV or an XES log (.xes, .xes.gz)")],
    model: Annotated[str | None, Form(max_length=128)] = None,
    threshold: Annotated[float | None, Form(ge=0.0, le=1.0)] = None,
) -> JSONResponse:
    """Tag every event of a whole event log in the background; poll the job."""
    name, tagger = await run_in_threadpool(pick_step_model, manager, settings, model)
    await check_one_file(request)
    raw = await read_upload(file, settings.max_upload_bytes)
    filename = (file.filename or "events.csv").rsplit("/", 1)[-1]
    xes = filename.lower().endswith((".xes", ".xes.gz"))
    data = raw if xes else (await run_in_threadpool(_unpacked, raw, settings.max_upload_bytes,
                                                    filename))[0]
    files = _file_jobs(learning)

    def work(progress: Progress, path: Path) -> dict[str, Any]:
        return run_step_job(progress, path, filename, name, tagger, threshold,
                            settings.MAX_ROWS_PER_REQUEST, settings.max_upload_bytes * 20,
                            settings.JOB_CHUNK_ROWS, path.parent / "result.csv")

    owner, _ = _owner(request)
    suffix = ".xes.gz" if filename.lower().endswith(".xes.gz") else ".xes" if xes else ".csv"
    job = files.submit("sessions", owner, filename, data, suffix, work)
    return _accepted(job, files, sessions_router.prefix)


def _job(request: Request, learning: Learning, job_id: str, kind: str) -> FileJob:
    owner, admin = _owner(request)
    job = _file_jobs(learning).get(job_id[:64], owner, admin)
    if job.kind != kind:
        raise ProblemError(404, f"Job {job_id!r} is a {job.kind} job: read it under "
                                f"/v1/{job.kind}/jobs.")
    return job


def _read(request: Request, learning: Learning, job_id: str, kind: str) -> FileJobPublic:
    return _public(_job(request, learning, job_id, kind), _file_jobs(learning))


def _result(request: Request, learning: Learning, job_id: str, kind: str) -> FileResponse:
    job = _job(request, learning, job_id, kind)
    if job.status != "succeeded" or not job.result_path.is_file():
        raise ProblemError(409, f"Job {job_id} is {job.status}: its CSV exists once it has "
                                "succeeded (poll the job).")
    stem = Path(job.filename).stem or "result"
    return FileResponse(job.result_path, media_type="text/csv; charset=utf-8",
                        filename=f"{stem}.labelled.csv")


def _cancel(request: Request, learning: Learning, job_id: str, kind: str) -> FileJobPublic:
    job = _job(request, learning, job_id, kind)
    _file_jobs(learning).cancel(job)
    return _public(job, _file_jobs(learning))


@logs_router.get("/{job_id}", response_model=FileJobPublic, responses={404: {}})
def read_log_job(job_id: str, request: Request, learning: LearningDep) -> FileJobPublic:
    """Progress of a log file job and, once it succeeded, its result (summary, curve)."""
    return _read(request, learning, job_id, "logs")


@logs_router.get("/{job_id}/result", response_class=FileResponse,
                 responses={404: {}, 409: {}})
def read_log_job_result(job_id: str, request: Request, learning: LearningDep) -> FileResponse:
    """The labelled CSV of a succeeded log file job (formula-safe)."""
    return _result(request, learning, job_id, "logs")


@logs_router.delete("/{job_id}", response_model=FileJobPublic, responses={404: {}})
def cancel_log_job(job_id: str, request: Request, learning: LearningDep) -> FileJobPublic:
    """Cancel a log file job (it stops at its next chunk)."""
    return _cancel(request, learning, job_id, "logs")


@sessions_router.get("/{job_id}", response_model=FileJobPublic, responses={404: {}})
def read_session_job(job_id: str, request: Request, learning: LearningDep) -> FileJobPublic:
    """Progress of an event log job and, once it succeeded, its result (summary, curve)."""
    return _read(request, learning, job_id, "sessions")


@sessions_router.get("/{job_id}/result", response_class=FileResponse,
                     responses={404: {}, 409: {}})
def read_session_job_result(job_id: str, request: Request, learning: LearningDep
                            ) -> FileResponse:
    """The tagged CSV of a succeeded event log job (formula-safe)."""
    return _result(request, learning, job_id, "sessions")


@sessions_router.delete("/{job_id}", response_model=FileJobPublic, responses={404: {}})
def cancel_session_job(job_id: str, request: Request, learning: LearningDep) -> FileJobPublic:
    """Cancel an event log job (it stops at its next slice of sessions)."""
    return _cancel(request, learning, job_id, "sessions")
