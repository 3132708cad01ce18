"""Sessions page: tag every event of task-mining sessions with its process step, then read
the tagged log as a process (map, variants, timelines, durations, agreement, XES out).

The page appears only once the server has the route. The user picks one of the
registered step models and sees the columns it needs, and where an XES log holds them.
Tagging lives in frontend/session_tagging.py, the views in frontend/process_views.py.
"""

from __future__ import annotations

import hashlib
from functools import partial

import streamlit as st

from frontend import tables
from frontend.api_client import SESSIONS_PREDICT_CSV, SESSIONS_VIEWS, ApiError
from frontend.components import (
    ResultSpec,
    classify_once,
    client,
    require_route,
    route_available,
    show_error,
    show_preview,
    show_results,
)
from frontend.feedback import feedback_hook
from frontend.process_views import TaggedLog, show_process_views
from frontend.session_tagging import classify, columns_note, read_upload, step_models, xes_note

st.title("Sessions")
st.caption("Tag each event of a task-mining session with its process step; below the "
           "threshold the step is **Unclassified** (abstained) with the reason.")

require_route(SESSIONS_PREDICT_CSV, "Step tagging", "sessions model")

try:
    models = {str(m["name"]): m for m in step_models(client().base_url)}
except ApiError as exc:
    show_error(exc)
    st.stop()
if not models:
    st.info("The API serves no step model yet: train one with `python -m training "
            "train-steps` and restart the API.", icon=":material/model_training:")
    st.stop()

with st.sidebar:
    st.subheader("Event sessions")
    model = st.selectbox("Step model", list(models), key="sessions_model")
    columns: dict[str, list[str]] = models[model]["columns"]  # type: ignore[assignment]
    st.markdown(columns_note(columns))
    st.markdown(xes_note(columns["required"]))
    needed = ", ".join(columns["required"])
    uploaded = st.file_uploader(f"CSV with {needed} (+ features), or an XES log",
                                type=["csv", "txt", "xes", "xes.gz"], key="sessions_upload")
    session_col = columns["required"][0]
if uploaded is None:
    st.info(f"Upload an event log in the sidebar: a CSV with one row per event with "
            f"{', '.join(f'`{c}`' for c in columns['required'])} and, where you have them, "
            "the feature columns the model was trained on; or an XES log (`.xes`, `.xes.gz`) "
            "as process-mining tools export it.", icon=":material/upload_file:")
    st.stop()
data = uploaded.getvalue()
input_id = hashlib.sha1(data + model.encode()).hexdigest()
if tables.is_xes(uploaded.name):
    st.subheader("Event log")
    st.caption(f"XES log `{uploaded.name}` ({len(data) / 1024:,.1f} KB). The API reads it "
               "when you tag it: its events, with their steps, appear below.")
else:
    try:
        frame = read_upload(data, session_col)
    except tables.InputError as exc:
        show_error(exc)
        st.stop()
    show_preview(frame, "sessions",
                 f"{len(frame):,} events in {frame[session_col].nunique():,} sessions")
result = classify_once("sessions", input_id, "Tag steps",
                       partial(classify, data, uploaded.name, model))
if result is None:
    st.stop()
tagged, names = result["frame"], result["columns"]
st.caption(f"{len(tagged):,} events in {tagged[session_col].nunique():,} sessions")
spec = ResultSpec("sessions", names["step_name"], None, "tagged_sessions.csv",
                  result["threshold"])
show_results(result, spec,
             after_table=feedback_hook(tagged, spec, model, tuple(columns["required"])))
if route_available(SESSIONS_VIEWS):
    show_process_views(TaggedLog(
        tagged, input_id, session_col, columns["required"][1], names["step_name"], model,
        tuple(columns["required"]), str(columns.get("label") or "")))
