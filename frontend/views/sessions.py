"""Sessions page: tag every event of task-mining sessions with its process step.

Uploads go to POST /v1/sessions/predict/csv in chunks of whole sessions (a session is
never split), so progress is real; the page appears only once the server has the route.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from frontend import tables
from frontend.api_client import SESSIONS_PREDICT_CSV, chunk_size
from frontend.components import (
    ResultSpec,
    chunked_result,
    classify_once,
    client,
    require_route,
    run_in_chunks,
    show_error,
    show_preview,
    show_results,
)
from frontend.feedback import feedback_hook

CHUNK_ROWS = 5000
OUTPUT = ("step_name", "confidence", "abstained", "predicted_step", "reason")


@st.cache_data(max_entries=4, show_spinner="Reading the file...")
def read_upload(data: bytes, session_col: str) -> pd.DataFrame:
    """Only the session column is checked here (for chunking); the API names any other
    missing column in its answer."""
    return tables.read_csv(data, (session_col,))


def classify(frame: pd.DataFrame, session_col: str) -> dict[str, object]:
    """Send whole sessions in chunks; the answers come back in each chunk's row order."""
    api = client()
    chunks = list(tables.session_chunks(frame, session_col, chunk_size(CHUNK_ROWS)))
    calls = (api.predict_sessions_csv(chunk.to_csv(index=False).encode()) for chunk in chunks)
    responses = run_in_chunks(calls, len(frame), "Tagging")
    preds = pd.concat(pd.DataFrame(response["predictions"], index=chunk.index)
                      for chunk, response in zip(chunks, responses, strict=True)).sort_index()
    outputs: dict[str, object] = {c: preds[c].to_numpy() for c in OUTPUT}
    outputs["confidence"] = preds["confidence"].astype(float).to_numpy()
    outputs["model_version"] = responses[0]["model_version"]
    result, names = tables.append_columns(frame, outputs)
    return {**chunked_result(result, responses), "columns": names}


st.title("Sessions")
st.caption("Tag each event of a task-mining session with its process step; below the "
           "threshold the step is **Unclassified** (abstained) with the reason.")

require_route(SESSIONS_PREDICT_CSV, "Step tagging", "sessions model")

with st.sidebar:
    st.subheader("Event sessions")
    uploaded = st.file_uploader("CSV with session_id, timestamp, event_name (+ features)",
                                type=["csv", "txt"], key="sessions_upload")
    session_col = st.text_input("Session column", "session_id", key="sessions_session_col")
if uploaded is None:
    st.info("Upload an event log CSV in the sidebar: one row per event with `session_id`, "
            "`timestamp`, `event_name` and the feature columns the model was trained on.",
            icon=":material/upload_file:")
    st.stop()
data = uploaded.getvalue()
try:
    frame = read_upload(data, session_col)
except tables.InputError as exc:
    show_error(exc)
    st.stop()
input_id = hashlib.sha1(data + session_col.encode()).hexdigest()

show_preview(frame, "sessions",
             f"{len(frame):,} events in {frame[session_col].nunique():,} sessions")
result = classify_once("sessions", input_id, "Tag steps", lambda: classify(frame, session_col))
if result is None:
    st.stop()
tagged = result["frame"]
names = result["columns"]
spec = ResultSpec("sessions", names["step_name"], None, "tagged_sessions.csv",
                  result["threshold"])
show_results(tagged, spec, gated=tagged[names["confidence"]].notna().to_numpy(dtype=bool),
             after_table=feedback_hook(tagged, spec, "step-tagger",
                                       (session_col, "timestamp", "event_name")))
