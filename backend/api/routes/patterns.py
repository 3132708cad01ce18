"""`GET /v1/logs/patterns`: what the live logs are made of, labelled, and what is new.

Per source and template key: the line count and its share of the source, first and last
seen, counts per time bucket, the latest answer (label, confidence, tier, problem flag),
one masked example, and whether it is new since the source's baseline. Counted by every
worker into the feedback store (backend.logs.patterns). Reading follows the same rule as
classifying (REQUIRE_TOKEN_FOR_READS); pinning or resetting a baseline changes stored
state and needs the API token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from backend.api.deps import AdminDep, ClassifierDep, SettingsDep
from backend.api.learning import LearningDep, caller_name
from backend.api.limits import check_message_lengths
from backend.api.state import state_of
from backend.api.stream import StreamObserver
from backend.api.uploads import check_one_file, read_upload
from backend.core.errors import ProblemError
from backend.core.tabular import read_table
from backend.logs.batch import classify_batch
from backend.logs.levels import level_column
from backend.logs.pattern_view import file_patterns, pattern_rows
from backend.logs.patterns import PatternCounter

router = APIRouter(prefix="/v1/logs", tags=["pipelines"])
SourcePath = Annotated[str, Path(min_length=1, max_length=64)]


def _stream(request: Request) -> tuple[StreamObserver, PatternCounter]:
    metrics = state_of(request).metrics
    stream = metrics.stream if metrics is not None else None
    if stream is None or stream.patterns is None:
        raise ProblemError(404, "Pattern counting is off: set PATTERNS_ENABLED=true and "
                                "METRICS_ENABLED=true.")
    return stream, stream.patterns


@router.get("/patterns", responses={401: {}, 404: {}})
async def read_patterns(
    request: Request, settings: SettingsDep,
    source: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="Count only lines from this time "
                                                        "on (ISO 8601)")] = None,
    label: Annotated[str | None, Query(max_length=256)] = None,
    new: Annotated[bool | None, Query(description="Only patterns new since their "
                                                  "source's baseline (or only old ones)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Templates of the live logs per source with counts over time, label, confidence,
    tier, problem flag, a masked example and whether they are new since the source's
    baseline; problem and new patterns first."""
    stream, counter = _stream(request)
    await run_in_threadpool(stream.flush, 5.0)  # this worker's counts are in the store
    rows, buckets = await run_in_threadpool(counter.store.patterns, source)
    baselines = await run_in_threadpool(counter.store.baselines)
    since_ts = since.timestamp() if since is not None else None
    patterns, sources = pattern_rows(rows, buckets, baselines, settings.PATTERNS_BUCKET_S,
                                     since_ts, label, new)
    return {"bucket_s": settings.PATTERNS_BUCKET_S, "since": since.isoformat() if since else None,
            "sources": sources, "patterns": patterns[:limit], "total": len(patterns)}


@router.get("/baselines", responses={401: {}, 404: {}})
async def read_baselines(request: Request) -> dict[str, Any]:
    """Every source's baseline: learning (its first BASELINE_RECORDS lines), complete, or
    pinned through the API. This worker's queued counts are written first, as for
    GET /patterns: a baseline the last upload completed is not reported missing."""
    stream, counter = _stream(request)
    await run_in_threadpool(stream.flush, 5.0)
    baselines = await run_in_threadpool(counter.store.baselines)
    return {"baselines": [b.public() for b in sorted(baselines.values(),
                                                     key=lambda b: b.source)]}


@router.put("/baselines/{source}", responses={401: {}, 403: {}, 404: {}})
async def pin_baseline(request: Request, source: SourcePath, _admin: AdminDep) -> dict[str, Any]:
    """Make the source's patterns as counted now its baseline (the API token)."""
    stream, counter = _stream(request)
    await run_in_threadpool(stream.flush, 5.0)
    pinned = await run_in_threadpool(counter.store.pin, source)
    if pinned is None:
        raise ProblemError(404, f"No patterns counted for source {source!r} yet: send its "
                                "logs first (uploads count with live=true).")
    counter.forget_baselines()
    return pinned.public()


@router.delete("/baselines/{source}", responses={401: {}, 403: {}, 404: {}})
async def reset_baseline(request: Request, source: SourcePath,
                         _admin: AdminDep) -> dict[str, Any]:
    """Forget the source's baseline: its next BASELINE_RECORDS lines form a new one."""
    _, counter = _stream(request)
    if not await run_in_threadpool(counter.store.reset, source):
        raise ProblemError(404, f"Source {source!r} has no baseline.")
    counter.forget_baselines()
    return {"source": source, "state": "learning"}


@router.post("/patterns", responses={401: {}, 413: {}, 415: {}, 422: {}})
async def read_file_patterns(
    request: Request, classifier: ClassifierDep, settings: SettingsDep, learning: LearningDep,
    file: Annotated[UploadFile, File(description="CSV with columns source,log_message")],
    threshold: Annotated[float | None, Form(ge=0.0, le=1.0)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """The same pattern view for an uploaded file's own lines: classified, grouped by
    template, counted; nothing is stored and nothing counts as live traffic."""
    await check_one_file(request)
    data = await read_upload(file, settings.max_upload_bytes)
    table = await run_in_threadpool(read_table, data, ("source", "log_message"),
                                    settings.MAX_ROWS_PER_REQUEST)
    frame = table.frame
    sources = [str(s).strip() for s in frame["source"].tolist()]
    messages = [str(m) for m in frame["log_message"].tolist()]
    check_message_lengths(list(zip(sources, messages, strict=True)),
                          settings.MAX_MESSAGE_CHARS_HARD, first_row=1)
    memory = await run_in_threadpool(learning.log_memory, caller_name(request))

    def answer() -> list[dict[str, Any]]:
        batch = classify_batch(classifier, sources, messages, threshold, memory=memory,
                               levels=level_column(frame))
        keys = [k if m.strip() else "" for k, m in zip(classifier.keys(messages), messages,
                                                       strict=True)]
        return file_patterns(sources, keys, messages, batch.rows())

    patterns = await run_in_threadpool(answer)
    return {"model_version": classifier.version, "lines": len(messages),
            "patterns": patterns[:limit], "total": len(patterns),
            "warnings": table.warnings}
