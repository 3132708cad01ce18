"""RFC 9457 problem details: every error the API returns says what to fix."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.core.cancel import WorkCancelled
from sift_tables import TableError

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class ProblemError(Exception):
    """An error with an HTTP status and a message a user can act on."""

    def __init__(self, status: int, detail: str, title: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.headers = headers
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.extra = extra


class BadInputError(ProblemError):
    """The client sent something we cannot read (422 by default)."""

    def __init__(self, detail: str, status: int = 422, **extra: Any) -> None:
        super().__init__(status, detail, **extra)


class ModelIntegrityError(Exception):
    """A model artifact is missing or does not match its manifest's sha256."""


def problem_response(
    status: int, detail: str, title: str | None = None, **extra: Any
) -> JSONResponse:
    body = {"type": "about:blank", "title": title or HTTPStatus(status).phrase,
            "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


_NOT_A_FILE = ("{loc}: send the table as a file part (curl -F '{loc}=@logs.csv'), "
               "not as a text field")
_NOT_JSON = ("the body must be JSON sent with Content-Type: application/json "
             "(curl: add -H 'Content-Type: application/json'; -d alone sends a form)")


def _describe_validation(exc: RequestValidationError, content_type: str = ""
                         ) -> tuple[str, list[dict[str, Any]]]:
    errors = []
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        msg = err.get("msg", "invalid value")
        if "Expected UploadFile" in msg:
            msg = _NOT_A_FILE.format(loc=loc or "file")
        elif (not loc and err.get("type") in ("model_attributes_type", "dict_type")
              and "json" not in content_type):
            msg = _NOT_JSON
        errors.append({"field": loc, "message": msg})
        parts.append(f"{loc or 'body'}: {msg}")
    return "; ".join(parts[:5]) or "invalid request", errors


def _why_unparsable(body: bytes) -> str:
    """Say what is wrong with a body FastAPI could not parse (it only says it failed)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (f"The body is not valid UTF-8 (bad byte at offset {exc.start}); send JSON "
                "encoded as UTF-8.")
    try:
        json.loads(text)
    except RecursionError:
        return "The JSON body is nested too deeply; send a flat object such as {\"logs\": [...]}."
    except ValueError as exc:
        return f"The body is not valid JSON ({exc}); check quotes, commas and brackets."
    return "The body could not be read; send UTF-8 JSON with Content-Type: application/json."


def install_error_handlers(app: FastAPI) -> None:
    """Turn every failure into problem+json; unexpected ones are logged, not leaked."""

    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        response = problem_response(exc.status, exc.detail, exc.title, **exc.extra)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(TableError)
    async def _table(_: Request, exc: TableError) -> JSONResponse:
        return problem_response(exc.status, exc.message, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail, errors = _describe_validation(exc, request.headers.get("content-type", ""))
        return problem_response(422, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = str(exc.detail)
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = _why_unparsable(await request.body())
        response = problem_response(exc.status_code, detail)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(WorkCancelled)
    async def _cancelled(_: Request, exc: WorkCancelled) -> JSONResponse:
        # the client left or the deadline passed: this answer is read by no one, or is the 504
        response = problem_response(exc.status, f"The request's work was stopped: {exc}. "
                                                 "Send fewer rows per request, or use the "
                                                 "bulk CLI.")
        if exc.status == 503:
            response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, _exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "Internal error; the request was not processed. "
                                     "Retry, and report it if it persists.")
