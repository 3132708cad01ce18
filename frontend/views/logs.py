"""Logs page: upload a log file (or paste lines) once; the API classifies it as a job whose
progress the page shows; then explore, correct and download what the job returned."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from frontend import tables
from frontend.components import (
    ResultSpec,
    classify_once,
    client,
    show_error,
    show_preview,
    show_results,
)
from frontend.conventions import agreement_section
from frontend.feedback import feedback_available, feedback_hook
from frontend.jobs import run_file

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


def classify(upload: tuple[bytes, str, str, str, str]) -> dict[str, object]:
    """The whole file in one upload, classified by the API as a job (progress per chunk);
    a raw log's message column is named as feedback sends it (`log_message`)."""
    data, name, log_format, source_field, source = upload
    result = run_file("logs", lambda: client().start_log_job(
        data, name, log_format, source_field, source), "Classifying")
    message = result["input_columns"]["message"]  # type: ignore[index]
    if message != "log_message":
        result["frame"] = result["frame"].rename(columns={message: "log_message"})  # type: ignore[attr-defined]
    return result


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
            upload = (data, uploaded.name, log_format.strip() or "auto", source_field.strip(),
                      raw_source.strip())
            return _kept(upload, raw_preview(data))
        name = uploaded.name if uploaded.name.lower().endswith(".csv") else f"{uploaded.name}.csv"
        return _kept((data, name, "", "", ""), read_upload(data))
    if pasted.strip():
        frame = tables.parse_pasted(pasted, source.strip())
        return _kept((frame.to_csv(index=False).encode(), "pasted.csv", "", "", ""), frame)
    return None


def _kept(upload: tuple[bytes, str, str, str, str], preview: pd.DataFrame
          ) -> tuple[str, pd.DataFrame]:
    """The upload to send on Classify, kept for this run; (its id, its preview)."""
    st.session_state["logs_upload_data"] = upload
    key = "\n".join(upload[1:]).encode() + upload[0]
    return hashlib.sha1(key).hexdigest(), preview


def raw_preview(data: bytes) -> pd.DataFrame:
    """The first lines of a raw log as they are (the server parses them on Classify)."""
    if data[:2] == b"\x1f\x8b":
        return pd.DataFrame({"line": ["(gzip'd log: parsed by the server on Classify)"]})
    lines = data[:20_000].decode("utf-8", errors="replace").splitlines()[:10]
    return pd.DataFrame({"line": lines})


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
upload = st.session_state["logs_upload_data"]
if upload[2]:  # a raw log: the server parses it
    show_preview(frame, "logs", "The first lines of the raw log; the server parses it by the "
                                "format on Classify.")
else:
    show_preview(frame, "logs",
                 f"{len(frame):,} rows, columns: {', '.join(map(str, frame.columns))}")
result = classify_once("logs", input_id, "Classify", lambda: classify(upload))
if result is None:
    st.stop()
labelled, names = result["frame"], result["columns"]
spec = ResultSpec("logs", names["target_label"], names["tier"], "classified.csv",
                  result["threshold"])
show_results(result, spec, after_table=feedback_hook(labelled, spec, "log-classifier",
                                                     REQUIRED))
if feedback_available():
    agreement_section(result, upload)
