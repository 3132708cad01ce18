"""Logs page: upload or paste log lines, classify them in chunks, explore, download."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from frontend import tables
from frontend.components import (
    ResultSpec,
    chunked_result,
    classify_once,
    client,
    run_in_chunks,
    show_error,
    show_preview,
    show_results,
)
from frontend.feedback import feedback_hook

REQUIRED = ("source", "log_message")
EXAMPLE = """ModernCRM,User User123 logged in.
BillingSystem,Multiple login failures occurred on user 6454 account
ComputeCloud,nova.osapi_compute.wsgi.server "GET /v2/servers HTTP/1.1" status: 200 len: 1893
LegacyCRM,Lead conversion failed for prospect ID 7842 due to missing contact information."""


@st.cache_data(max_entries=4, show_spinner="Reading the file...")
def read_upload(data: bytes) -> pd.DataFrame:
    return tables.read_csv(data, REQUIRED)


def load_input() -> tuple[str, pd.DataFrame] | None:
    """Sidebar inputs -> (input id, frame with source/log_message), or None if empty."""
    with st.sidebar:
        st.subheader("Log lines")
        uploaded = st.file_uploader("CSV with columns source, log_message", type=["csv", "txt"],
                                    key="logs_upload")
        pasted = st.text_area("...or paste a few lines (CSV with a header, or one message "
                              "per line)", key="logs_paste", height=120,
                              placeholder=EXAMPLE.splitlines()[0])
        source = st.text_input("Source for pasted lines without one", "ModernCRM",
                               key="logs_paste_source")
    if uploaded is not None:
        data = uploaded.getvalue()
        return hashlib.sha1(data).hexdigest(), read_upload(data)
    if pasted.strip():
        frame = tables.parse_pasted(pasted, source.strip())
        return hashlib.sha1(f"{source}\n{pasted}".encode()).hexdigest(), frame
    return None


def classify(frame: pd.DataFrame) -> dict[str, object]:
    """Send the rows in chunks through the JSON endpoint; progress is per chunk."""
    api = client()
    rows = tables.records(frame, REQUIRED)
    responses = run_in_chunks(api.iter_classify_logs(rows), len(rows), "Classifying")
    predictions = [p for r in responses for p in r["predictions"]]
    preds = tables.predictions_frame(predictions)
    result = frame.copy()
    result["target_label"] = preds["label"].to_numpy()
    result["confidence"] = preds["confidence"].round(4).to_numpy()
    result["tier"] = preds["tier"].to_numpy()
    result["model_version"] = preds["model_version"].to_numpy()
    result["reason"] = preds["reason"].to_numpy()
    return chunked_result(result, responses)


st.title("Logs")
st.caption("Each line gets a label, a confidence and the tier that decided (rules, model, llm); "
           "below the threshold it is **Unclassified** with a reason.")

try:
    loaded = load_input()
except tables.InputError as exc:
    show_error(exc)
    st.stop()
if loaded is None:
    st.info("Upload a CSV with columns `source, log_message` in the sidebar, or paste a few "
            "lines to try it.", icon=":material/upload_file:")
    st.stop()

input_id, frame = loaded
show_preview(frame, "logs", f"{len(frame):,} rows, columns: {', '.join(map(str, frame.columns))}")
result = classify_once("logs", input_id, "Classify", lambda: classify(frame))
if result is None:
    st.stop()
labelled = result["frame"]
spec = ResultSpec("logs", "target_label", "tier", "classified.csv", result["threshold"])
show_results(labelled, spec, gated=(labelled["tier"] == "model").to_numpy(dtype=bool),
             after_table=feedback_hook(labelled, spec, "log-classifier", REQUIRED))
