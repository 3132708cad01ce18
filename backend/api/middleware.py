"""One pure-ASGI guard in front of every route: request id, rate limit, read auth,
body-size limit, request timeout, a JSON access-log line and request metrics.

Pure ASGI (not BaseHTTPMiddleware) so that it adds little per request under load
and can answer with a 504 while a handler's worker thread is still busy: the
handler runs as its own task, and once the deadline passes its late output is
dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from backend.api.auth import authenticate, bearer_token, client_id, identify, read_needs_token
from backend.api.metrics import ServiceMetrics, current_metrics
from backend.api.metrics import router as metrics_router
from backend.api.ratelimit import EXEMPT_PATHS, ClientRateLimiter
from backend.api.state import app_state
from backend.core.cancel import CancelScope, current_scope
from backend.core.config import Settings
from backend.core.errors import ProblemError, problem_response
from backend.core.jsonlog import request_id_var
from backend.core.quota import Refusals, current_client, current_refusals

access_log = logging.getLogger("sift.access")

REQUEST_ID_HEADER = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Multipart framing around an upload of MAX_UPLOAD_MB.
_BODY_SLACK = 1 << 20
# a request still running this long gets a watch for its client leaving (_DisconnectWatch)
WATCH_AFTER_S = 0.05


class BodyTooLargeError(HTTPException):
    """Raised from `receive` once a body without Content-Length passes the limit; FastAPI
    re-raises HTTPExceptions from body parsing, so it ends as a 413 problem+json."""

    def __init__(self, limit_mb: float) -> None:
        super().__init__(413, f"The request body is larger than the {limit_mb:g} MB limit "
                              "(MAX_UPLOAD_MB). Send smaller batches.")


class BodyStalledError(HTTPException):
    """Raised from `receive` when an unfinished body sends nothing for BODY_IDLE_TIMEOUT_S
    (a half-open upload would otherwise hold a worker until REQUEST_TIMEOUT_S)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"The upload sent no data for {seconds:g} s and was closed "
                              "(BODY_IDLE_TIMEOUT_S). Send the whole body without pauses.")


class RequestGuard:
    """Wraps the whole app; see the module docstring for what it does, in order."""

    def __init__(self, app: ASGIApp, settings: Settings, metrics: ServiceMetrics | None) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics
        self.limiter = ClientRateLimiter.from_setting(settings.RATE_LIMIT,
                                                      settings.RATE_LIMIT_STORAGE)
        self.max_body = settings.max_upload_bytes + _BODY_SLACK

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        given = headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        id_token = request_id_var.set(request_id)
        metrics_token = current_metrics.set(self.metrics)
        started = time.perf_counter()
        state: dict[str, int | bool] = {"status": 500, "started": False, "closed": False,
                                        "finished": False}
        refusals = Refusals()
        refusals_token = current_refusals.set(refusals)
        tagged = _tag(send, request_id, state, refusals)

        async def send_from_app(message: Message) -> None:
            if not state["closed"]:  # after a timeout the handler's late output is dropped
                await tagged(message)

        if self.metrics:
            self.metrics.in_flight.inc()
        try:
            try:
                await self._admit(scope, headers)
            except ProblemError as problem:
                await _send_problem(problem, scope, receive, tagged)
                return
            client_token = current_client.set(client_id(scope))  # LLM quotas count on it
            cancel = CancelScope(time.monotonic() + self.settings.REQUEST_TIMEOUT_S)
            cancel_token = current_scope.set(cancel)  # worker threads inherit it
            watch = _DisconnectWatch(receive, cancel, state)
            try:
                await self._run_with_deadline(
                    scope, self._limited(receive, watch), send_from_app, tagged, state, cancel,
                    watch)
            finally:
                watch.close()
                current_scope.reset(cancel_token)
                current_client.reset(client_token)
        finally:
            if self.metrics and refusals.calls:
                self.metrics.llm_quota_refused.inc(refusals.calls)
            self._record(scope, int(state["status"]), time.perf_counter() - started)
            current_refusals.reset(refusals_token)
            current_metrics.reset(metrics_token)
            request_id_var.reset(id_token)

    async def _admit(self, scope: Scope, headers: Headers) -> None:
        """Raise the ProblemError that refuses this request, if any (429, 401/403, 413)."""
        path = scope["path"]
        caller = identify(self.settings, bearer_token(headers.get("authorization")))
        scope.setdefault("state", {})["caller"] = caller
        if self.limiter is not None and path not in EXEMPT_PATHS:
            try:  # keyed on the credential when there is one, else on the peer address
                await self.limiter.check(client_id(scope))
            except ProblemError:
                if self.metrics:
                    self.metrics.rate_limited.inc()
                raise
        if read_needs_token(self.settings, path):
            authenticate(self.settings, headers.get("authorization"), "writer")
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            raise ProblemError(413, f"The request body ({int(length):,} bytes) is larger than "
                                    f"the {self.settings.MAX_UPLOAD_MB:g} MB limit "
                                    "(MAX_UPLOAD_MB). Send smaller batches.")

    def _limited(self, receive: Receive, watch: _DisconnectWatch) -> Receive:
        """`receive` that stops a body (chunked or lying about its length) at the limit, and,
        once the body is in, reads through `watch` (one reader of the client's messages)."""
        received = 0
        complete = False
        idle = self.settings.BODY_IDLE_TIMEOUT_S

        async def limited() -> Message:
            nonlocal received, complete
            if complete:  # after the body: waiting for a disconnect is not a stall
                return await watch.next_message()
            try:
                message = await asyncio.wait_for(receive(), idle)
            except TimeoutError:
                raise BodyStalledError(idle) from None
            complete = message["type"] != "http.request" or not message.get("more_body")
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLargeError(self.settings.MAX_UPLOAD_MB)
            if complete and message["type"] == "http.request":
                watch.body_complete()
            return message

        return limited

    async def _run_with_deadline(self, scope: Scope, receive: Receive, send_from_app: Send,
                                 tagged: Send, state: dict[str, int | bool],
                                 cancel: CancelScope, watch: _DisconnectWatch) -> None:
        task = asyncio.ensure_future(self.app(scope, receive, send_from_app))
        try:
            done, _ = await asyncio.wait({task}, timeout=WATCH_AFTER_S)
            if not done:  # a request that takes a while: its client leaving cancels its work
                watch.want()
                done, _ = await asyncio.wait(
                    {task}, timeout=max(self.settings.REQUEST_TIMEOUT_S - WATCH_AFTER_S, 0.0))
        except asyncio.CancelledError:  # the server is shutting down or the client left
            cancel.cancel("the server is shutting down")
            task.cancel()
            raise
        if task in done:
            try:
                task.result()  # re-raise what the app raised
            except (BodyTooLargeError, BodyStalledError) as exc:
                if state["started"]:
                    raise
                await _send_problem(ProblemError(exc.status_code, str(exc.detail)), scope,
                                    receive, tagged)
            return
        task.cancel()
        task.add_done_callback(_retrieve)
        cancel.cancel("it took longer than REQUEST_TIMEOUT_S", 504)  # its threads stop
        refusals = current_refusals.get()
        if refusals is not None:  # a worker thread still running stops its remote calls
            refusals.abandoned = True
        if self.metrics:
            self.metrics.timeouts.inc()
        state["closed"] = True
        if state["started"]:
            return  # the response had started; nothing sensible left to send
        problem = ProblemError(504, f"The request took longer than REQUEST_TIMEOUT_S="
                                    f"{self.settings.REQUEST_TIMEOUT_S:g} s and was abandoned. "
                                    "Send fewer rows per request, or use the bulk CLI.")
        await _send_problem(problem, scope, receive, tagged)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        if self.metrics:
            self.metrics.in_flight.dec()
            self.metrics.observe_request(scope["method"], template, status, seconds)
        access_log.info("%s %s %d %.1fms", scope["method"], scope["path"], status,
                        seconds * 1000, extra={
                            "request_id": request_id_var.get(),
                            "method": scope["method"], "path": scope["path"],
                            "route": template, "status": status,
                            "duration_ms": round(seconds * 1000, 2)})


async def _send_problem(problem: ProblemError, scope: Scope, receive: Receive,
                        send: Send) -> None:
    response = problem_response(problem.status, problem.detail, problem.title, **problem.extra)
    if problem.headers:
        response.headers.update(problem.headers)
    await response(scope, receive, send)


def _tag(send: Send, request_id: str, state: dict[str, int | bool], refusals: Refusals) -> Send:
    """`send` that records the status and adds the X-Request-ID header (and Retry-After
    when an LLM quota refused calls of this request)."""

    async def tagged(message: Message) -> None:
        if message["type"] == "http.response.start":
            state["started"] = True
            state["status"] = message["status"]
            extra = [(REQUEST_ID_HEADER.encode(), request_id.encode())]
            if refusals.retry_after and not any(k.lower() == b"retry-after"
                                                for k, _ in message.get("headers", [])):
                extra.append((b"retry-after", str(refusals.retry_after).encode()))
            message["headers"] = [*message.get("headers", []), *extra]
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            state["finished"] = True
        await send(message)

    return tagged


class _DisconnectWatch:
    """Watches, once the body is in, for the client leaving: that cancels the request's
    work (`cancel`), so a parse in a worker thread stops instead of running on for no one.
    Started only for a request still running after WATCH_AFTER_S, or when the app itself
    reads past the body: a task per request cost a single-line call ~25 us of the loop."""

    def __init__(self, receive: Receive, cancel: CancelScope,
                 state: dict[str, int | bool]) -> None:
        self._receive, self._cancel, self._state = receive, cancel, state
        self._body_done = self._wanted = False
        self._watcher: asyncio.Future[Message] | None = None

    def body_complete(self) -> None:
        self._body_done = True
        if self._wanted:
            self._start()

    def want(self) -> None:
        self._wanted = True
        if self._body_done:
            self._start()

    async def next_message(self) -> Message:
        """The app's read after the body: the watcher's message (the one reader)."""
        return await asyncio.shield(self._start())

    def _start(self) -> asyncio.Future[Message]:
        if self._watcher is None:
            self._watcher = asyncio.ensure_future(self._receive())
            self._watcher.add_done_callback(self._left)
        return self._watcher

    def _left(self, watcher: asyncio.Future[Message]) -> None:
        if watcher.cancelled() or watcher.exception() is not None:
            return
        if watcher.result()["type"] == "http.disconnect" and not self._state["finished"]:
            self._cancel.cancel("the client went away")

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher.add_done_callback(_retrieve)


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Consume an abandoned handler's outcome so asyncio does not warn about it."""
    with contextlib.suppress(BaseException):
        task.result()


def install_guards(app: FastAPI, settings: Settings) -> None:
    """Metrics (`GET /metrics` when METRICS_ENABLED) and the request guard, on `app`."""
    metrics = None
    if settings.METRICS_ENABLED:
        metrics = ServiceMetrics(app_state(app).models, settings)
        app_state(app).metrics = metrics
        app.include_router(metrics_router)
    app.add_middleware(RequestGuard, settings=settings, metrics=metrics)
    if settings.FORWARDED_ALLOW_IPS.strip():  # outermost: the guard sees the real client
        app.add_middleware(ProxyHeadersMiddleware,
                           trusted_hosts=[h.strip() for h in settings.FORWARDED_ALLOW_IPS.split(",")
                                          if h.strip()])
