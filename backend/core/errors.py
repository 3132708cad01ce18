"""RFC 9457 problem details: every error the API returns says what to fix."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def _describe_validation(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    errors = []
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        msg = err.get("msg", "invalid value")
        errors.append({"field": loc, "message": msg})
        parts.append(f"{loc or 'body'}: {msg}")
    return "; ".join(parts[:5]) or "invalid request", errors


def install_error_handlers(app: FastAPI) -> None:
    """Turn every failure into problem+json; unexpected ones are logged, not leaked."""

    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        response = problem_response(exc.status, exc.detail, exc.title, **exc.extra)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail, errors = _describe_validation(exc)
        return problem_response(422, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = problem_response(exc.status_code, str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, _exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "Internal error; the request was not processed. "
                                     "Retry, and report it if it persists.")
