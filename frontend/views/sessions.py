"""Sessions page: tag every event of task-mining sessions with its process step.

Uploads go to POST /v1/sessions/predict/csv in chunks of whole sessions (a session is
never split), so progress is real; the page appears only once the server has the route.
The user picks one of the registered step models and sees the columns it needs.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from frontend import tables
from frontend.api_client import SESSIONS_PREDICT_CSV, ApiClient, ApiError, chunk_size
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


@st.cache_data(ttl=30, show_spinner=False)
def step_models(base_url: str) -> list[dict[str, object]]:
    return ApiClient(base_url).step_models()


def columns_note(columns: dict[str, list[str]]) -> str:
    """Markdown naming what the model reads (names match ignoring case and spaces)."""
    need = ", ".join(f"`{c}`" for c in columns["required"])
    optional = ", ".join(f"`{c}`" for c in columns["optional"]) or "none"
    return (f"**Needs:** {need}  \n**Uses if present:** {optional} (a missing one counts as "
            "blank, with a warning). Names match ignoring case, spaces, colons and dots.")


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
    needed = ", ".join(columns["required"])
    uploaded = st.file_uploader(f"CSV with {needed} (+ features)", type=["csv", "txt"],
                                key="sessions_upload")
    session_col = columns["required"][0]
if uploaded is None:
    st.info(f"Upload an event log CSV in the sidebar: one row per event with "
            f"{', '.join(f'`{c}`' for c in columns['required'])} and, where you have them, "
            "the feature columns the model was trained on.", icon=":material/upload_file:")
    st.stop()
data = uploaded.getvalue()
try:
    frame = read_upload(data, session_col)
except tables.InputError as exc:
    show_error(exc)
    st.stop()
input_id = hashlib.sha1(data + model.encode()).hexdigest()

show_preview(frame, "sessions",
             f"{len(frame):,} events in {frame[session_col].nunique():,} sessions")
result = classify_once("sessions", input_id, "Tag steps",
                       lambda: classify(frame, session_col, model))
if result is None:
    st.stop()
tagged = result["frame"]
names = result["columns"]
spec = ResultSpec("sessions", names["step_name"], None, "tagged_sessions.csv",
                  result["threshold"])
show_results(tagged, spec, gated=tagged[names["confidence"]].notna().to_numpy(dtype=bool),
             after_table=feedback_hook(tagged, spec, model, tuple(columns["required"])))
