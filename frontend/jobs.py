"""A whole file through the API's job endpoints: upload once, poll behind a progress bar,
then read what the job returned (its CSV, summary, curve, agreement).

The page does none of the work: the API reads, classifies and summarises the file and
computes the what-if curve; this module only shows the job's progress and keeps its
answer as a page result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from frontend import tables
from frontend.api_client import ApiError
from frontend.components import client

POLL_S = 0.25
PHASES = {"queued": "Waiting for the server", "reading": "Reading the file",
          "classifying": "Classifying", "summarising": "Summarising", "done": "Done"}


def _bar_text(job: dict[str, Any], what: str) -> str:
    p = job["progress"]
    phase = PHASES.get(p["phase"], p["phase"])
    if p["phase"] == "classifying" and p["rows_total"]:
        return f"{what} {job['filename']}: {p['rows_done']:,} / {p['rows_total']:,} rows"
    if p["phase"] == "reading":
        return f"{phase} {job['filename']}: {p['rows_done']:,} rows read"
    return f"{phase}: {job['filename']}"


def wait(kind: str, job: dict[str, Any], what: str) -> dict[str, Any]:
    """Poll the job until it ends, moving a progress bar with its rows done / total."""
    bar = st.progress(0.0, text=_bar_text(job, what))
    api = client()
    while job["status"] in ("queued", "running"):
        time.sleep(POLL_S)
        job = api.job(kind, job["id"])
        bar.progress(min(float(job["progress"]["share"]), 1.0), text=_bar_text(job, what))
    bar.empty()  # finished: the results below replace the bar
    if job["status"] != "succeeded":
        error = job.get("error") or {}
        if job["status"] == "cancelled":
            raise ApiError(f"The {kind} job was cancelled; run it again.")
        raise ApiError(f"The API refused the file ({error.get('status')}): "
                       f"{error.get('detail', 'no result')}", status=error.get("status"))
    return job


def run_file(kind: str, start: Callable[[], dict[str, Any]], what: str,
             required: tuple[str, ...] = ()) -> dict[str, object]:
    """Start a job with `start`, wait for it, and return the page result: the job's CSV as
    a frame plus its summary, curve, agreement, columns, threshold and warnings."""
    job = wait(kind, start(), what)
    result: dict[str, Any] = job["result"]
    data = client().job_result(kind, job["id"])
    try:
        frame = tables.read_answer_csv(data, required)
    except tables.InputError as exc:
        raise ApiError(f"The API's answer could not be read: {exc}", kind="bad_response") \
            from exc
    confidence = result["columns"]["confidence"]
    frame[confidence] = pd.to_numeric(frame[confidence], errors="coerce")
    return {**result, "frame": frame, "csv": data, "job": job["id"], "kind": kind,
            "warnings": list(result.get("warnings") or [])}
