"""Sessions page: tagging an uploaded event log through the API, and what the sidebar says
about the columns a step model needs.

A CSV or an XES log (.xes, .xes.gz) is uploaded once to POST /v1/sessions/jobs: the API
reads it, tags it in slices of whole sessions (so the progress bar is real) and returns
the events as CSV with the step columns appended, the summary and the what-if curve.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from frontend import tables
from frontend.api_client import ApiClient, ApiError
from frontend.components import client
from frontend.jobs import run_file

_TRACE_KEY = re.compile(r"case[\s:._\-]+(.+)", re.IGNORECASE)  # `case:<key>`, as names match
XES_HINT = ("In an XES log each event attribute is a column under its key and each trace "
            "attribute is `case:<key>` (the trace's `concept:name` is `case:concept:name`).")


@st.cache_data(max_entries=4, show_spinner="Reading the file...")
def read_upload(data: bytes, session_col: str) -> pd.DataFrame:
    """For the preview: only the session column is checked here; the API names any other
    missing column in its answer."""
    return tables.read_csv(data, (session_col,))


@st.cache_data(ttl=30, show_spinner=False)
def step_models(base_url: str) -> list[dict[str, object]]:
    return ApiClient(base_url).step_models()


def columns_note(columns: dict[str, list[str]]) -> str:
    """Markdown naming what the model reads (names match ignoring case and spaces)."""
    need = ", ".join(f"`{c}`" for c in columns["required"])
    optional = ", ".join(f"`{c}`" for c in columns["optional"]) or "none"
    return (f"**Needs:** {need}  \n**Uses if present:** {optional} (a missing one counts as "
            "blank, with a warning). Names match ignoring case, spaces, colons and dots.")


def xes_note(required: list[str]) -> str:
    """Where an XES log holds each required column: `case:<key>` is the trace's <key>."""
    trace, event = [], []
    for name in required:
        key = _TRACE_KEY.fullmatch(name)
        if key:
            trace.append(f"`{key.group(1)}`")
        else:
            event.append(f"`{name}`")
    parts = [f"{kind} attribute{'s' * (len(keys) > 1)} {', '.join(keys)}"
             for kind, keys in (("trace", trace), ("event", event)) if keys]
    return (f"**In an XES log:** {'; '.join(parts)}. Any other trace attribute is read as "
            "`case:<key>`, an event attribute under its key.")


def classify(data: bytes, filename: str, model: str) -> dict[str, object]:
    """The whole log as one job for `model`; its threshold is the one the job applied."""
    try:
        result = run_file("sessions", lambda: client().start_session_job(data, filename, model),
                          "Tagging")
    except ApiError as exc:
        if exc.status == 422 and "column" in exc.message.lower() and tables.is_xes(filename):
            raise ApiError(f"{exc.message} {XES_HINT}", exc.status) from exc
        raise
    return result
