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
from frontend.conventions import agreement_section
from frontend.feedback import feedback_available, feedback_hook

REQUIRED = ("source", "log_message")
EXAMPLE = """ModernCRM,User User123 logged in.
BillingSystem,Multiple login failures occurred on user 6454 account
ComputeCloud,nova.osapi_compute.wsgi.server "GET /v2/servers HTTP/1.1" status: 200 len: 1893
LegacyCRM,Lead conversion failed for prospect ID 7842 due to missing contact information."""


RAW_LOG = (".log", ".log.gz", ".txt.gz", ".gz")
PRESETS = ("auto, hdfs, apache, linux, openssh, thunderbird, syslog, syslog-5424, access, "
           "apache-error, nginx-error, log4j, python")


@st.cache_data(max_entries=4, show_spinner="Reading the file...")
def read_upload(data: bytes) -> pd.DataFrame:
    return tables.read_csv(data, REQUIRED)


def classify_raw(data: bytes, name: str, log_format: str, source_field: str,
                 source: str = "") -> dict[str, object]:
    """A raw log is parsed and classified by the server (one parser for API, UI and bulk);
    the parsed fields come back as columns next to the labels."""
    body = client().classify_log_file(data, name, log_format, source_field, source)
    frame = pd.DataFrame(body["records"], columns=body["columns"])
    frame = frame.rename(columns={"Content": "log_message"})  # what feedback sends
    note = (f"format {body['log_format']}: {body['parse']['records']:,} records from "
            f"{body['parse']['lines']:,} lines ({body['parse']['joined']:,} joined, "
            f"{body['parse']['unmatched']:,} not matching the format)")
    return {"frame": frame, "threshold": float(body["threshold"]),
            "model_version": str(body["model_version"]), "warnings": [note, *body["warnings"]]}


def load_input() -> tuple[str, pd.DataFrame] | None:
    """Sidebar inputs -> (input id, frame with source/log_message), or None if empty."""
    with st.sidebar:
        st.subheader("Log lines")
        uploaded = st.file_uploader("CSV with columns source, log_message, or a raw .log file",
                                    type=["csv", "txt", "log", "gz"], key="logs_upload")
        log_format = st.text_input(
            "Log format (raw .log files)", "", key="logs_format", placeholder="auto",
            help="A preset (" + PRESETS + ") or a Loghub-style format such as "
                 "'<Date> <Time> <Level> <Component>: <Content>'. Empty: auto for .log "
                 "files; a .txt is read as raw log text when a format is given.")
        source_field = st.text_input("Source from field (optional)", "",
                                     key="logs_source_field",
                                     placeholder="e.g. Component (default: the file name)")
        raw_source = st.text_input(
            "Source of the whole file (optional)", "", key="logs_raw_source",
            placeholder="default: the file name without extension",
            help="The source every record of a raw file gets when no field names one. "
                 "Corrections apply per source (FEEDBACK_MEMORY_SCOPE=source), so a file "
                 "named Apache_2k.log needs 'Apache' here to follow corrections made for "
                 "Apache.")
        pasted = st.text_area("...or paste a few lines (CSV with a header, or one message "
                              "per line)", key="logs_paste", height=120,
                              placeholder=EXAMPLE.splitlines()[0])
        source = st.text_input("Source for pasted lines without one", "ModernCRM",
                               key="logs_paste_source")
    if uploaded is not None:
        data = uploaded.getvalue()
        if uploaded.name.lower().endswith(RAW_LOG) or log_format.strip():
            st.session_state["logs_raw"] = (data, uploaded.name, log_format.strip() or "auto",
                                            source_field.strip(), raw_source.strip())
            key = f"{uploaded.name}\n{log_format}\n{source_field}\n{raw_source}\n"
            return hashlib.sha1(key.encode() + data).hexdigest(), raw_preview(data)
        st.session_state.pop("logs_raw", None)
        return hashlib.sha1(data).hexdigest(), read_upload(data)
    st.session_state.pop("logs_raw", None)
    if pasted.strip():
        frame = tables.parse_pasted(pasted, source.strip())
        return hashlib.sha1(f"{source}\n{pasted}".encode()).hexdigest(), frame
    return None


def raw_preview(data: bytes) -> pd.DataFrame:
    """The first lines of a raw log as they are (the server parses them on Classify)."""
    if data[:2] == b"\x1f\x8b":
        return pd.DataFrame({"line": ["(gzip'd log: parsed by the server on Classify)"]})
    lines = data[:20_000].decode("utf-8", errors="replace").splitlines()[:10]
    return pd.DataFrame({"line": lines})


def classify(frame: pd.DataFrame) -> dict[str, object]:
    """Send the rows in chunks through the JSON endpoint; progress is per chunk."""
    raw = st.session_state.get("logs_raw")
    if raw is not None:
        return classify_raw(*raw)
    api = client()
    rows = tables.records(frame, REQUIRED)
    responses = run_in_chunks(api.iter_classify_logs(rows), len(rows), "Classifying")
    predictions = [p for r in responses for p in r["predictions"]]
    preds = tables.predictions_frame(predictions)
    result, names = tables.append_columns(frame, {
        "target_label": preds["label"].to_numpy(),
        "confidence": preds["confidence"].round(4).to_numpy(),
        "tier": preds["tier"].to_numpy(), "model_version": preds["model_version"].to_numpy(),
        "reason": preds["reason"].to_numpy()})
    return {**chunked_result(result, responses), "columns": names}


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
if st.session_state.get("logs_raw") is not None:
    show_preview(frame, "logs", "The first lines of the raw log; the server parses it by the "
                                "format on Classify.")
else:
    show_preview(frame, "logs",
                 f"{len(frame):,} rows, columns: {', '.join(map(str, frame.columns))}")
result = classify_once("logs", input_id, "Classify", lambda: classify(frame))
if result is None:
    st.stop()
labelled = result["frame"]
names = result.get("columns") or {"target_label": "target_label", "tier": "tier"}
spec = ResultSpec("logs", names["target_label"], names["tier"], "classified.csv",
                  result["threshold"])
show_results(labelled, spec, gated=(labelled[names["tier"]] == "model").to_numpy(dtype=bool),
             after_table=feedback_hook(labelled, spec, "log-classifier", REQUIRED))
if feedback_available():
    agreement_section(frame, labelled[names["target_label"]], "log-classifier")
