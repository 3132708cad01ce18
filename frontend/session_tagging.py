"""Sessions page: tagging an uploaded event log through the API, and what the sidebar says
about the columns a step model needs.

Uploads go to POST /v1/sessions/predict/csv: a CSV in chunks of whole sessions (a session
is never split), so progress is real; an XES log (.xes, .xes.gz) as is, in one request,
since the API is what reads XES (its answer is the events as CSV, step columns appended).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from frontend import tables
from frontend.api_client import ApiClient, ApiError, chunk_size
from frontend.components import chunked_result, client, run_in_chunks

CHUNK_ROWS = 5000
OUTPUT = ("step_name", "confidence", "abstained", "predicted_step", "reason")
_TRACE_KEY = re.compile(r"case[\s:._\-]+(.+)", re.IGNORECASE)  # `case:<key>`, as names match
XES_HINT = ("In an XES log each event attribute is a column under its key and each trace "
            "attribute is `case:<key>` (the trace's `concept:name` is `case:concept:name`).")


@st.cache_data(max_entries=4, show_spinner="Reading the file...")
def read_upload(data: bytes, session_col: str) -> pd.DataFrame:
    """Only the session column is checked here (for chunking); the API names any other
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


def served_threshold(entry: dict[str, Any]) -> float | None:
    """The abstain threshold of the version the API serves (its manifest's metrics)."""
    for version in entry.get("versions", []):
        if version.get("version") == entry.get("active_version"):
            value = (version.get("metrics") or {}).get("threshold")
            return None if value is None else float(value)
    return None


def classify(frame: pd.DataFrame, session_col: str, model: str) -> dict[str, object]:
    """Send whole sessions in chunks; the answers come back in each chunk's row order."""
    api = client()
    chunks = list(tables.session_chunks(frame, session_col, chunk_size(CHUNK_ROWS)))
    calls = (api.predict_sessions_csv(chunk.to_csv(index=False).encode(), model=model)
             for chunk in chunks)
    responses = run_in_chunks(calls, len(frame), "Tagging")
    preds = pd.concat(pd.DataFrame(response["predictions"], index=chunk.index)
                      for chunk, response in zip(chunks, responses, strict=True)).sort_index()
    outputs: dict[str, object] = {c: preds[c].to_numpy() for c in OUTPUT}
    outputs["confidence"] = preds["confidence"].astype(float).to_numpy()
    outputs["model_version"] = responses[0]["model_version"]
    if "prediction_id" in preds.columns:  # feedback then names the server's record
        outputs["prediction_id"] = preds["prediction_id"].to_numpy()
    result, names = tables.append_columns(frame, outputs)
    return {**chunked_result(result, responses), "columns": names}


def classify_xes(data: bytes, filename: str, model: str, required: list[str],
                 threshold: float | None) -> dict[str, object]:
    """The whole log in one request, parsed by the API (nothing is read here first); its
    answer, the events with the step columns appended, becomes the results frame. The
    model's threshold is sent along, so the one shown is the one applied."""
    try:
        with st.spinner(f"Tagging {filename}: the API reads the XES log..."):
            answer = client().predict_sessions_file(data, filename, model, threshold)
    except ApiError as exc:
        if exc.status == 422 and "column" in exc.message.lower():
            raise ApiError(f"{exc.message} {XES_HINT}", exc.status) from exc
        raise
    try:
        frame = tables.read_answer_csv(answer.csv, required)
    except tables.InputError as exc:
        raise ApiError(f"The API's answer could not be read: {exc}", kind="bad_response") \
            from exc
    names = dict(zip((*OUTPUT, "model_version"),  # the columns the API appended, in order
                     [str(c) for c in frame.columns[-len(OUTPUT) - 1:]], strict=True))
    confidence = pd.to_numeric(frame[names["confidence"]])
    frame[names["confidence"]] = confidence
    abstained = frame[names["abstained"]].str.lower().eq("true")
    frame[names["abstained"]] = abstained
    if threshold is None:  # not in the manifest: the lowest confidence that got a step
        threshold = float(confidence[~abstained].min()) if not abstained.all() else 1.0
    warnings = sorted({*frame.attrs.get("warnings", []), *filter(None, [answer.warnings])})
    return {"frame": frame, "threshold": threshold,
            "model_version": answer.model_version or str(frame[names["model_version"]].iloc[0]),
            "warnings": warnings, "columns": names}
