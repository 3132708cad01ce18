"""The only place the UI talks to the API: httpx calls with readable errors.

Pages never build URLs. Every failure becomes an `ApiError` whose message a
user can act on (API down, timeout, or the API's own problem+json detail).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any, NamedTuple

import httpx

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT_S = 120.0

# Routes other features add; a page shows "not available" until the server has them.
SESSIONS_PREDICT = "/v1/sessions/predict"
SESSIONS_PREDICT_CSV = "/v1/sessions/predict/csv"
SESSIONS_VIEWS = "/v1/sessions/views"
SESSIONS_XES = "/v1/sessions/xes"
TASKS_CATEGORIZE = "/v1/tasks/categorize"
FEEDBACK = "/v1/feedback"
HELD = "/v1/feedback/held"  # corrections waiting for an admin, one by one
LABELS = "/v1/feedback/labels"  # new labels waiting for an admin
PATTERNS = "/v1/logs/patterns"
LOG_JOBS = "/v1/logs/jobs"
SESSION_JOBS = "/v1/sessions/jobs"


class ApiError(Exception):
    """A failed API call, with a message fit to show a user as is."""

    def __init__(self, message: str, status: int | None = None, kind: str = "http") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.kind = kind  # down | timeout | http | bad_response


def _problem_message(response: httpx.Response) -> str:
    """The API's problem+json `detail` (or title), else a short slice of the body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, str) and detail:
            return detail
        if detail:  # FastAPI's default validation shape: a list of errors
            return "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d)
                             for d in detail)[:500]
        if body.get("title"):
            return str(body["title"])
    text = response.text.strip()
    return text[:300] if text else response.reason_phrase


class TaggedLog(NamedTuple):
    """The server's CSV answer for an event log: its events with the step columns appended."""

    csv: bytes
    model_version: str
    warnings: str  # the X-Warnings header as sent ("; "-joined), "" when none


def _upload_type(filename: str) -> str:
    name = filename.lower()
    if name.endswith(".gz"):
        return "application/gzip"
    if name.endswith((".log", ".txt")):
        return "text/plain"
    return "application/xml" if name.endswith(".xes") else "text/csv"


def _column_form(columns: dict[str, str]) -> dict[str, str]:
    return {f"{key}_column": columns[key] for key in ("case", "timestamp", "step")
            if columns.get(key)}


class ApiClient:
    """A thin client over the sift API; one instance per script run is fine."""

    def __init__(self, base_url: str | None = None, timeout_s: float | None = None,
                 token: str | None = None) -> None:
        self.base_url = (base_url or os.environ.get("SIFT_API_URL") or DEFAULT_API_URL).rstrip("/")
        self.timeout_s = timeout_s or float(os.environ.get("SIFT_API_TIMEOUT", DEFAULT_TIMEOUT_S))
        # the admin token when this UI may administer, else a writer key (feedback only)
        self.token = token if token is not None else (
            os.environ.get("SIFT_API_TOKEN") or os.environ.get("SIFT_WRITER_TOKEN"))
        self._paths: set[str] | None = None

    @property
    def docs_url(self) -> str:
        return f"{self.base_url}/docs"

    def _request(self, method: str, path: str, ok: Sequence[int] = (), **kwargs: Any
                 ) -> httpx.Response:
        url = f"{self.base_url}{path}"
        headers = kwargs.pop("headers", {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        try:
            response = httpx.request(method, url, timeout=self.timeout_s, headers=headers,
                                     **kwargs)
        except httpx.TimeoutException as exc:
            raise ApiError(f"The API at {self.base_url} did not answer within "
                           f"{self.timeout_s:g} s. It may be busy; try a smaller file or "
                           "raise SIFT_API_TIMEOUT.", kind="timeout") from exc
        except httpx.TransportError as exc:
            raise ApiError(f"The API at {self.base_url} is not reachable ({type(exc).__name__})."
                           " Start it with `make run`, or point SIFT_API_URL at it.",
                           kind="down") from exc
        if response.status_code >= 400 and response.status_code not in ok:
            message = _problem_message(response)
            raise ApiError(f"The API refused the request ({response.status_code}): {message}",
                           status=response.status_code)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise ApiError(f"The API sent a non-JSON answer to {path}.", response.status_code,
                           kind="bad_response") from exc

    # --- service ---
    def ready(self) -> dict[str, Any]:
        """GET /ready; a 503 (still loading) is an answer, not an error."""
        response = self._request("GET", "/ready", ok=(503,))
        try:
            body: dict[str, Any] = response.json()
        except ValueError as exc:
            raise ApiError("The API sent a non-JSON answer to /ready.", kind="bad_response") \
                from exc
        return body

    def paths(self) -> set[str]:
        """The routes this server offers (from its OpenAPI document), fetched once."""
        if self._paths is None:
            self._paths = set(self._json("GET", "/openapi.json").get("paths", {}))
        return self._paths

    def has(self, path: str) -> bool:
        return path in self.paths()

    def models(self) -> list[dict[str, Any]]:
        models: list[dict[str, Any]] = self._json("GET", "/v1/models").get("models", [])
        return models

    def drift(self) -> dict[str, Any]:
        """GET /v1/drift: per-source drift of the live log stream."""
        body: dict[str, Any] = self._json("GET", "/v1/drift")
        return body

    # --- logs ---
    def classify_logs(self, records: Sequence[dict[str, str]], threshold: float | None = None
                      ) -> dict[str, Any]:
        body: dict[str, Any] = {"logs": list(records)}
        if threshold is not None:
            body["threshold"] = threshold
        result: dict[str, Any] = self._json("POST", "/v1/logs/classify", json=body)
        return result

    def classify_logs_csv(self, data: bytes, filename: str = "logs.csv") -> bytes:
        """The CSV endpoint's own labelled CSV (formula-safe, written by the server)."""
        files = {"file": (filename, data, "text/csv")}
        return self._request("POST", "/v1/logs/classify/csv", files=files).content

    def classify_log_file(self, data: bytes, filename: str, log_format: str = "auto",
                          source_field: str = "", source: str = "") -> dict[str, Any]:
        """A raw log file (.log / .txt, plain or .gz) parsed by the server with `log_format`:
        its records with the parsed fields and the labels (JSON). `source`: the records'
        source when no field names one (the server's default: the file name)."""
        form = {"log_format": log_format or "auto"}
        if source_field:
            form["source_field"] = source_field
        if source:
            form["source"] = source
        files = {"file": (filename, data, "text/plain")}
        result: dict[str, Any] = self._request(
            "POST", "/v1/logs/classify/csv", files=files, data=form,
            headers={"Accept": "application/json"}).json()
        return result

    def patterns(self, source: str | None = None, label: str | None = None,
                 new: bool | None = None, limit: int = 100) -> dict[str, Any]:
        """GET /v1/logs/patterns: the live logs' templates, counts over time and answers."""
        params: dict[str, Any] = {"limit": limit}
        for name, value in (("source", source), ("label", label), ("new", new)):
            if value is not None:
                params[name] = str(value).lower() if isinstance(value, bool) else value
        body: dict[str, Any] = self._json("GET", PATTERNS, params=params)
        return body

    def file_patterns(self, data: bytes, filename: str = "logs.csv",
                      limit: int = 1000) -> dict[str, Any]:
        """POST /v1/logs/patterns: the same view for one CSV's own lines (nothing stored)."""
        files = {"file": (filename, data, "text/csv")}
        body: dict[str, Any] = self._json("POST", PATTERNS, files=files,
                                          params={"limit": limit})
        return body

    # --- whole-file jobs (POST /v1/{logs,sessions}/jobs): upload once, poll, read ---
    def start_log_job(self, data: bytes, filename: str, log_format: str = "",
                      source_field: str = "", source: str = "") -> dict[str, Any]:
        """Upload a log file (CSV, NDJSON, raw .log, plain or .gz) once; the job to poll."""
        form = {k: v for k, v in (("log_format", log_format), ("source_field", source_field),
                                  ("source", source)) if v}
        files = {"file": (filename, data, _upload_type(filename))}
        job: dict[str, Any] = self._json("POST", LOG_JOBS, files=files, data=form or None)
        return job

    def start_session_job(self, data: bytes, filename: str, model: str | None = None,
                          threshold: float | None = None) -> dict[str, Any]:
        """Upload an event log (CSV or XES) once, for the step model `model`; the job."""
        form = {k: str(v) for k, v in (("model", model), ("threshold", threshold))
                if v is not None}
        files = {"file": (filename, data, _upload_type(filename))}
        job: dict[str, Any] = self._json("POST", SESSION_JOBS, files=files, data=form or None)
        return job

    def job(self, kind: str, job_id: str) -> dict[str, Any]:
        """A job's progress and, once it succeeded, its result (`kind`: logs | sessions)."""
        job: dict[str, Any] = self._json("GET", f"/v1/{kind}/jobs/{job_id}")
        return job

    def job_result(self, kind: str, job_id: str) -> bytes:
        """The labelled CSV a succeeded job wrote (formula-safe, as the API writes it)."""
        return self._request("GET", f"/v1/{kind}/jobs/{job_id}/result").content

    def cancel_job(self, kind: str, job_id: str) -> dict[str, Any]:
        job: dict[str, Any] = self._json("DELETE", f"/v1/{kind}/jobs/{job_id}")
        return job

    # --- sessions, tasks, feedback (present only once the server has the routes) ---
    def predict_sessions(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._json("POST", SESSIONS_PREDICT, json=body)
        return result

    def predict_sessions_csv(self, data: bytes, filename: str = "sessions.csv",
                             model: str | None = None) -> dict[str, Any]:
        """Upload an event CSV; the answer is JSON (per-event steps, threshold, coverage),
        from the step model named `model` (the server's default when None)."""
        files = {"file": (filename, data, "text/csv")}
        form = {"model": model} if model else None
        result: dict[str, Any] = self._json("POST", SESSIONS_PREDICT_CSV, files=files,
                                            data=form, headers={"Accept": "application/json"})
        return result

    def predict_sessions_file(self, data: bytes, filename: str, model: str | None = None,
                              threshold: float | None = None) -> TaggedLog:
        """Send an event log as is: an XES log (.xes, .xes.gz) is parsed by the server (trace
        attributes become `case:<key>` columns). The answer is the server's CSV of the events
        with the step columns appended, from the step model `model` (the server's default
        when None), abstaining below `threshold` (the model's own when None)."""
        files = {"file": (filename, data, _upload_type(filename))}
        form = {k: str(v) for k, v in (("model", model), ("threshold", threshold))
                if v is not None}
        response = self._request("POST", SESSIONS_PREDICT_CSV, files=files, data=form or None,
                                 headers={"Accept": "text/csv"})
        return TaggedLog(response.content, response.headers.get("X-Model-Version", ""),
                         response.headers.get("X-Warnings", ""))

    def session_views(self, tagged_csv: bytes, columns: dict[str, str],
                      label_column: str | None = None, case: str | None = None
                      ) -> dict[str, Any]:
        """Process views of a tagged log (CSV): step map, variants, timeline of `case` (the
        first case when None), step durations, and agreement with `label_column`.
        `columns` names the case, timestamp and step columns (keys case/timestamp/step)."""
        form = _column_form(columns)
        form.update({k: v for k, v in (("label_column", label_column), ("case", case)) if v})
        files = {"file": ("tagged.csv", tagged_csv, "text/csv")}
        result: dict[str, Any] = self._json("POST", SESSIONS_VIEWS, files=files, data=form)
        return result

    def session_xes(self, tagged_csv: bytes, columns: dict[str, str]) -> bytes:
        """The tagged log (CSV) as XES, written by the API."""
        files = {"file": ("tagged.csv", tagged_csv, "text/csv")}
        return self._request("POST", SESSIONS_XES, files=files,
                             data=_column_form(columns)).content

    def step_models(self) -> list[dict[str, Any]]:
        """The registered step models with the columns each needs (GET /v1/models)."""
        steps = [m for m in self.models() if m.get("kind") == "step-tagger" and m.get("columns")]
        return sorted(steps, key=lambda m: not m.get("default"))  # the server's default first

    def categorize_task(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._json("POST", TASKS_CATEGORIZE, json=body)
        return result

    def send_feedback(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._json("POST", FEEDBACK, json=body)
        return result

    def classify_csv_json(self, data: bytes, filename: str = "logs.csv") -> dict[str, Any]:
        """The CSV endpoint's JSON answer (with `agreement` when the file has labels)."""
        files = {"file": (filename, data, "text/csv")}
        result: dict[str, Any] = self._json("POST", "/v1/logs/classify/csv", files=files,
                                            headers={"Accept": "application/json"})
        return result

    # --- approvals (the admin token) ---
    def held_feedback(self) -> list[dict[str, Any]]:
        """Corrections held for approval (a writer turned a problem label routine)."""
        held: list[dict[str, Any]] = self._json("GET", HELD).get("held", [])
        return held

    def decide_held(self, feedback_id: int, approve: bool) -> dict[str, Any]:
        """Approve or reject one held correction."""
        verb = "approve" if approve else "reject"
        result: dict[str, Any] = self._json("POST", f"{HELD}/{int(feedback_id)}/{verb}")
        return result

    def pending_labels(self) -> list[dict[str, Any]]:
        """Labels new to a model that corrections brought in, waiting for approval."""
        pending: list[dict[str, Any]] = self._json("GET", LABELS).get("pending", [])
        return pending

    def approve_label(self, model: str, label: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json("POST", f"{LABELS}/approve",
                                            json={"model": model, "label": label})
        return result

    def retrain(self, model: str) -> dict[str, Any]:
        """Start a gated retrain (needs the admin token); the job to poll."""
        result: dict[str, Any] = self._json("POST", f"/v1/models/{model}/retrain")
        return result

