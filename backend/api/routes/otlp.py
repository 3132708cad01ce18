"""`POST /v1/logs`: the OTLP/HTTP logs receiver (protobuf or JSON), optionally forwarding
every record, labelled, to the next receiver."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from backend.api.deps import ClassifierDep, SettingsDep
from backend.api.learning import get_learning, record_log_predictions
from backend.api.logbodies import caller_memory
from backend.api.metrics import observe_predictions
from backend.api.state import state_of
from backend.core.config import Settings
from backend.core.errors import ProblemError
from backend.core.tabular import check_row_limit
from backend.logs.classifier import Prediction
from backend.logs.recording import sampled
from backend.logs.usecase import ClassifyOptions, classify_rows
from backend.pipelines import otlp
from backend.pipelines.forwarder import ForwardRefusedError, ForwardUnavailableError
from backend.pipelines.receiver import decompress

router = APIRouter(tags=["pipelines"])

OTLP_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {otlp.PROTOBUF: {}, otlp.JSON: {"example": {}}},
          "description": "ExportLogsServiceResponse, in the request's encoding; "
                         "`partialSuccess` counts rejected records and says why"},
    400: {"description": "Not an OTLP logs export request (or bad gzip)"},
    413: {"description": "Body (inflated) above MAX_UPLOAD_MB, or too many records"},
    503: {"description": "Saturated, or the downstream receiver unavailable: retry after "
                         "Retry-After"},
}


OTLP_EXAMPLE = {"resourceLogs": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "billing"}}]},
    "scopeLogs": [{"logRecords": [{"body": {"stringValue": "Disk usage at 97% on /var"}}]}]}]}
OTLP_BODY = {"requestBody": {"required": True, "content": {
    otlp.JSON: {"schema": {"type": "object", "description": "ExportLogsServiceRequest (OTLP "
                           "JSON); protobuf as application/x-protobuf"},
                "example": OTLP_EXAMPLE},
    otlp.PROTOBUF: {"schema": {"type": "string", "format": "binary"}}}}}


@router.post("/v1/logs", responses=OTLP_RESPONSES, response_class=Response,
             openapi_extra=OTLP_BODY)
async def export_logs(request: Request, classifier: ClassifierDep,
                      settings: SettingsDep) -> Response:
    """OTLP/HTTP logs receiver: classifies each record's body (source from the
    OTLP_SOURCE_ATTRIBUTE resource attribute) and, when OTLP_FORWARD_ENDPOINT is set,
    answers only once the labelled records were forwarded."""
    receiver = state_of(request).otlp
    encoding = otlp.media_type(request.headers.get("content-type"))
    body = decompress(await request.body(), request.headers.get("content-encoding"),
                      settings.max_upload_bytes)
    try:
        received = otlp.extract(otlp.decode_request(body, encoding),
                                settings.OTLP_SOURCE_ATTRIBUTE)
    except otlp.OTLPDecodeError as exc:
        raise ProblemError(400, f"Could not decode the OTLP logs request: {exc}. Send an "
                                "ExportLogsServiceRequest as application/x-protobuf or as "
                                "OTLP JSON (application/json).") from exc
    check_row_limit(len(received), settings.MAX_ROWS_PER_REQUEST, "log records")
    receiver.received.inc(len(received))
    rejected = _rejected(received, settings.MAX_MESSAGE_CHARS_HARD)
    for reason in rejected.values():
        receiver.rejected.labels(reason).inc()
    with receiver.admit():
        keep = [i for i in range(len(received)) if i not in rejected]
        memory = await caller_memory(request)  # corrections apply here as on every door
        result = await run_in_threadpool(  # (source, body, severity): the level is evidence
            classify_rows, classifier, [(received.sources[i], received.messages[i],
                                         received.levels[i]) for i in keep],
            ClassifyOptions(memory=memory))
        answers = result.predictions
        observe_predictions(answers)
        if settings.OTLP_RECORD_SAMPLE > 0:  # a sample, so a busy pipeline stores few rows
            await run_in_threadpool(_record, request, settings, classifier.version, answers)
        predictions: list[Prediction | None] = [None] * len(received)
        for i, answer in zip(keep, answers, strict=True):
            predictions[i] = answer
        message = _message(rejected)
        if receiver.forwarder is not None and keep:
            labelled = otlp.label_records(received, predictions)
            try:
                await receiver.forwarder.forward(otlp.encode_request(labelled), len(keep))
            except ForwardUnavailableError as exc:
                receiver.busy.labels("downstream").inc()
                raise ProblemError(503, f"{exc}; nothing was kept, send the batch again.",
                                   title="Downstream unavailable",
                                   headers={"Retry-After": f"{exc.retry_after:.0f}"}) from exc
            except ForwardRefusedError as exc:
                receiver.rejected.labels("downstream refused").inc(len(keep))
                rejected.update(dict.fromkeys(keep, "downstream refused"))
                message = f"the downstream receiver refused the batch ({exc})"
    return Response(otlp.encode_response(len(rejected), message, encoding),
                    media_type=encoding)


def _record(request: Request, settings: Settings, version: str,
            answers: list[Prediction]) -> None:
    """Store the sampled answers (no ids go back: OTLP has no field for them)."""
    rows = sampled([p.source for p in answers], [p.log_message for p in answers],
                   settings.OTLP_RECORD_SAMPLE)
    if rows:
        record_log_predictions(get_learning(request), settings.LOG_MODEL_NAME, version,
                               [answers[i] for i in rows])


def _rejected(received: otlp.Received, max_chars: int) -> dict[int, str]:
    """Record index -> why it is not classified (reported in partial_success)."""
    out = {}
    for i, message in enumerate(received.messages):
        if not message.strip():
            out[i] = "empty body"
        elif len(message) > max_chars:
            out[i] = f"body longer than {max_chars} characters"
    return out


def _message(rejected: dict[int, str]) -> str:
    if not rejected:
        return ""
    counts = Counter(rejected.values())
    return "; ".join(f"{n} record(s): {reason}" for reason, n in counts.items())
