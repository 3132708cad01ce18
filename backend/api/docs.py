"""What Swagger UI (/docs) and ReDoc (/redoc) show: served from the fastapi-offline
package (no CDN: sift runs offline), with hand-written summaries and tag descriptions,
every error as RFC 9457 problem+json, and request examples that work as sent.

The OpenAPI document is FastAPI's, post-processed once here, so a route module only
writes its handler's docstring; the summary comes from `SUMMARIES` (else the docstring's
first sentence, never FastAPI's title-cased function name).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from backend.api.deps import MODEL_QUERY_PARAMETER, get_classifier
from backend.core.errors import PROBLEM_JSON

STATIC_URL = "/static-offline-docs"  # fastapi-offline's assets (Swagger UI, ReDoc)

TAGS: list[dict[str, str]] = [
    {"name": "logs", "description": "Label log lines: JSON, CSV, NDJSON/JSON records from "
     "log shippers, raw `.log` text. Every line comes back, in order, with a label (or "
     "`Unclassified` and a reason), a confidence, the tier that decided and the model version."},
    {"name": "sessions", "description": "Step tagging of task-mining event logs (CSV or XES): "
     "every event gets the business step it belongs to; process views and XES export of a "
     "tagged log."},
    {"name": "tasks", "description": "Task categorisation: a category, a confidence, whether "
     "it was auto-selected, and top-k suggestions."},
    {"name": "feedback", "description": "Accept, reject or correct any prediction (needs a "
     "writer key or the admin token); the correction memory that answers a template at once; "
     "labels and corrections held for an admin's approval."},
    {"name": "models", "description": "The registry as the service sees it: what is served, "
     "which versions exist, switching versions at run time and gated retraining (admin "
     "token). A model published while the service runs is served without a restart."},
    {"name": "jobs", "description": "Long work (retraining) runs as a job: poll it here."},
    {"name": "pipelines", "description": "sift inside a log pipeline: the OTLP/HTTP logs "
     "receiver (and forwarder) and per-source drift."},
    {"name": "patterns", "description": "Template keys with counts over time, labels and "
     "'new' flags."},
    {"name": "health", "description": "Liveness, readiness and Prometheus metrics."},
]

SUMMARIES: dict[str, str] = {
    "read_health": "Liveness: the process answers",
    "read_ready": "Readiness: every model loaded",
    "read_metrics": "Prometheus metrics",
    "classify_logs": "Classify logs (JSON, NDJSON, raw text)",
    "classify_logs_csv": "Classify an uploaded log file (CSV or .log)",
    "classify_logs_csv_alias": "Classify a CSV (reference systems' path)",
    "read_models": "List the models and their versions",
    "activate_model": "Switch a model's served version",
    "retrain_model": "Retrain a model with the feedback so far",
    "read_job": "Poll a job",
    "create_log_job": "Classify a whole log file (a job)",
    "read_log_job": "Poll a log file job",
    "read_log_job_result": "Download a log file job's CSV",
    "cancel_log_job": "Cancel a log file job",
    "create_session_job": "Tag a whole event log (a job)",
    "read_session_job": "Poll an event log job",
    "read_session_job_result": "Download an event log job's CSV",
    "cancel_session_job": "Cancel an event log job",
    "categorize_task": "Categorise one task",
    "categorize_tasks": "Categorise several tasks",
    "create_feedback": "Accept, reject or correct a prediction",
    "read_feedback_stats": "Accept rates per model, version and label",
    "list_memory": "List the correction memory",
    "undo_memory": "Undo a remembered correction",
    "read_pending_labels": "Labels waiting for approval",
    "approve_label": "Approve a new label",
    "read_held_feedback": "Corrections held for approval",
    "approve_held_feedback": "Approve a held correction",
    "reject_held_feedback": "Reject a held correction",
    "predict_steps": "Tag the steps of JSON events",
    "predict_steps_csv": "Tag the steps of an event log (CSV or XES)",
    "read_session_views": "Process views of a tagged event log",
    "export_session_xes": "Export a tagged event log as XES",
    "export_logs": "OTLP/HTTP logs receiver",
    "read_drift": "Drift per source",
    "read_patterns": "Patterns per source over time",
    "read_file_patterns": "Patterns of an uploaded log file",
    "read_baselines": "Baselines per source",
    "pin_baseline": "Pin a source's baseline",
    "reset_baseline": "Reset a source's baseline",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem", "type": "object",
    "description": "RFC 9457 problem details: `detail` says what to fix.",
    "properties": {
        "type": {"type": "string", "example": "about:blank"},
        "title": {"type": "string", "example": "Unprocessable Entity"},
        "status": {"type": "integer", "example": 422},
        "detail": {"type": "string", "example": "logs.0.log_message: Field required"},
        "errors": {"type": "array", "description": "Validation errors, one per field.",
                   "items": {"type": "object", "properties": {
                       "field": {"type": "string"}, "message": {"type": "string"}}}},
    },
    "required": ["title", "status", "detail"],
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def summary_of(route: APIRoute) -> str:
    """The hand-written summary, else the first sentence of the handler's docstring."""
    if route.name in SUMMARIES:
        return SUMMARIES[route.name]
    doc = " ".join((route.endpoint.__doc__ or route.name).split())
    first = doc.split(". ")[0].split(": ")[0].rstrip(".")
    return first if len(first) <= 60 else first[:60].rsplit(" ", 1)[0] + " ..."


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return components.get(ref.rsplit("/", 1)[-1], {}) if ref else schema


def _schema_example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """The first example a body schema declares (through $ref and anyOf), or None."""
    schema = _resolve(schema, components)
    if schema.get("examples"):
        return schema["examples"][0]
    if "example" in schema:
        return schema["example"]
    for branch in schema.get("anyOf", []):
        found = _schema_example(branch, components)
        if found is not None:
            return found
    return None


def _document_errors(op: dict[str, Any]) -> None:
    """Every 4xx/5xx answer is problem+json (FastAPI documents its own 422 shape)."""
    responses = op.setdefault("responses", {})
    for code, response in responses.items():
        if str(code)[0] in "45":
            response["content"] = {PROBLEM_JSON: {"schema": _PROBLEM_REF}}
            response.setdefault("description", "Problem details")
            if response["description"] in ("", "Validation Error"):
                response["description"] = "The request is not valid: `detail` names the field"


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    """Whether `call` is among a route's dependencies, at any depth."""
    return any(sub.call is call or _depends_on(sub, call) for sub in dependant.dependencies)


def _add_parameter(op: dict[str, Any], parameter: dict[str, Any]) -> None:
    """A parameter read by hand (not declared to FastAPI), listed once in the document."""
    parameters = op.setdefault("parameters", [])
    if all(p.get("name") != parameter["name"] for p in parameters):
        parameters.append(parameter)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's OpenAPI document with sift's summaries, tags, errors and examples."""
    if app.openapi_schema:
        return app.openapi_schema
    handlers: dict[tuple[str, str], APIRoute] = {}
    for context in iter_route_contexts(app.routes):
        route, effective = context.original_route, context._effective_route
        if isinstance(route, APIRoute):
            for method in getattr(effective, "methods", None) or route.methods or ():
                handlers[(getattr(effective, "path", route.path), method.lower())] = route
    spec = get_openapi(title=app.title, version=app.version, description=app.description,
                       routes=app.routes, tags=TAGS)
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if (path, method) in handlers:
                op["summary"] = summary_of(handlers[(path, method)])
                if _depends_on(handlers[(path, method)].dependant, get_classifier):
                    _add_parameter(op, MODEL_QUERY_PARAMETER)
            _document_errors(op)
            op["tags"] = op.get("tags", [])[-1:]  # one group each: listed once in Swagger
            content = op.get("requestBody", {}).get("content", {})
            media = content.get("application/json")
            if media is not None and "example" not in media and "examples" not in media:
                example = _schema_example(media.get("schema", {}), components)
                if example is not None:  # Swagger's "Try it out" sends this one as is
                    media["example"] = example
    used = {tag for item in spec.get("paths", {}).values() for op in item.values()
            for tag in op.get("tags", [])}
    spec["tags"] = [tag for tag in TAGS if tag["name"] in used]
    app.openapi_schema = spec
    return spec


def install_docs(app: FastAPI) -> None:
    """Use sift's OpenAPI document for /openapi.json, /docs and /redoc."""
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
