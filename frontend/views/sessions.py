"""Sessions page: tag every event of task-mining sessions with its process step.

Uploads go to POST /v1/sessions/predict/csv in chunks of whole sessions (a session is
never split), so progress is real; the page appears only once the server has the route.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from frontend import tables
from frontend.api_client import SESSIONS_PREDICT_CSV, ApiError, chunk_size
from frontend.components import (
    ResultSpec,
    client,
    progress_callback,
    route_available,
    show_error,
    show_results,
)
from frontend.feedback import feedback_available, row_feedback

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
    update = progress_callback("Tagging")
    parts, responses, done = [], [], 0
    for chunk in tables.session_chunks(frame, session_col, chunk_size(CHUNK_ROWS)):
        response = api.predict_sessions_csv(chunk.to_csv(index=False).encode())
        preds = pd.DataFrame(response["predictions"], index=chunk.index)
        parts.append(preds)
        responses.append(response)
        done += len(chunk)
        update(done, len(frame))
    preds = pd.concat(parts).sort_index()
    result = frame.rename(columns={"step_name": "step_name_given"})
    result = result.drop(columns=[c for c in OUTPUT if c in result.columns])
    for column in OUTPUT:
        result[column] = preds[column].to_numpy()
    result["confidence"] = result["confidence"].astype(float)
    result["model_version"] = responses[0]["model_version"]
    warnings = sorted({w for r in responses for w in r.get("warnings", [])})
    return {"frame": result, "threshold": float(responses[0]["threshold"]),
            "model_version": str(responses[0]["model_version"]), "warnings": warnings}


st.title("Sessions")
st.caption("Tag each event of a task-mining session with its process step; below the "
           "threshold the step is **Unclassified** (abstained) with the reason.")

try:
    available = route_available(SESSIONS_PREDICT_CSV)
except ApiError as exc:
    show_error(exc)
    st.stop()
if not available:
    st.info(f"Step tagging is not available on this server (no `{SESSIONS_PREDICT_CSV}` "
            "route). Update the API to a version with the sessions model.",
            icon=":material/info:")
    st.stop()

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

st.subheader("Preview")
st.caption(f"{len(frame):,} events in {frame[session_col].nunique():,} sessions")
st.dataframe(frame.head(10), key="sessions_preview", hide_index=True)
if st.button("Tag steps", type="primary", key="sessions_classify", icon=":material/play_arrow:"):
    try:
        st.session_state["sessions_result"] = {"id": input_id, **classify(frame, session_col)}
    except ApiError as exc:
        st.session_state.pop("sessions_result", None)
        show_error(exc)

result = st.session_state.get("sessions_result")
if not result or result["id"] != input_id:
    st.stop()
st.subheader("Results")
st.caption(f"Model {result['model_version']}, server threshold {result['threshold']:.2f}")
for warning in result["warnings"]:
    st.warning(warning)
tagged = result["frame"]
spec = ResultSpec("sessions", "step_name", None, "tagged_sessions.csv", result["threshold"])
show_results(tagged, spec, gated=tagged["confidence"].notna().to_numpy(dtype=bool),
             after_table=(lambda: row_feedback(tagged, spec, "step-tagger",
                                               (session_col, "timestamp", "event_name")))
             if feedback_available() else None)
