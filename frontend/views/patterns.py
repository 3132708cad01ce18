"""Patterns page: what the logs are made of, labelled, and what is new (issue 26).

Live traffic: the API's pattern counts (problem and new patterns first, as the API orders
them) with a sparkline of each template's count over time. An uploaded CSV gets the same
view for its own lines, nothing stored. One click relabels a pattern: a correction sent
through the feedback memory, whose answer (saved, or held for an admin) is shown as is.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from frontend.api_client import PATTERNS, ApiError
from frontend.components import client, require_route, safe_csv_once, show_error
from frontend.feedback import missing_credential, send_feedback, served_labels

LOG_MODEL = "log-classifier"
LIVE, FILE = "Live traffic", "An uploaded file"
COLUMNS = ["problem", "new", "source", "template", "count", "share", "trend", "label",
           "confidence", "tier", "example"]


def patterns_frame(patterns: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per pattern as the API sent it; `trend` is its counts per time bucket."""
    rows = [{**{c: p.get(c) for c in COLUMNS if c != "trend"},
             "trend": [b["count"] for b in p.get("buckets", [])]} for p in patterns]
    return pd.DataFrame(rows, columns=COLUMNS)


def relabel(frame: pd.DataFrame) -> None:
    """Pick a pattern, pick its right label, send one correction for its template."""
    st.subheader("Relabel a pattern")
    blocked = missing_credential()
    if blocked:
        st.info(blocked, icon=":material/lock:")
    shown = [f"{i}: {r.source} | {r.template}" for i, r in enumerate(frame.itertuples())]
    pick = st.selectbox("Pattern", range(len(shown)), format_func=lambda i: shown[i],
                        key="patterns_pick")
    row = frame.iloc[int(pick)]
    labels = sorted(set(served_labels(LOG_MODEL)) | set(frame["label"].dropna()))
    label = st.selectbox("Right label", labels, key="patterns_label_new",
                         index=labels.index(row["label"]) if row["label"] in labels else 0)
    st.caption(f"Now **{row['label']}** ({float(row['confidence']):.2f}, {row['tier']}); "
               f"example: `{row['example']}`")
    if st.button("Relabel pattern", key="patterns_relabel", icon=":material/edit:",
                 disabled=bool(blocked) or label == row["label"]):
        send_feedback({"model": LOG_MODEL, "verdict": "correct", "correct_label": label,
                       "predicted": row["label"],
                       "input": {"source": row["source"], "log_message": row["example"]}},
                      f" for the pattern `{row['template']}`")


def live_patterns() -> dict[str, Any] | None:
    with st.sidebar:
        source = st.text_input("Source (empty: all)", key="patterns_source").strip() or None
        label = st.text_input("Label (empty: all)", key="patterns_label").strip() or None
        only_new = st.checkbox("Only new since the baseline", key="patterns_new")
        limit = st.slider("Patterns", 10, 1000, 200, step=10, key="patterns_limit")
    try:
        return client().patterns(source, label, True if only_new else None, limit)
    except ApiError as exc:
        show_error(exc)
        return None


def file_patterns() -> dict[str, Any] | None:
    upload = st.sidebar.file_uploader("CSV with source,log_message", type=["csv"],
                                      key="patterns_file")
    if upload is None:
        st.info("Upload a CSV with the columns source and log_message: its own lines are "
                "grouped by template here, and nothing is stored on the server.")
        return None
    try:
        return client().file_patterns(upload.getvalue(), upload.name)
    except ApiError as exc:
        show_error(exc)
        return None


mode = st.sidebar.radio("Patterns of", [LIVE, FILE], key="patterns_mode")
st.title("Patterns")
require_route(PATTERNS, "Patterns", LOG_MODEL)
answer = live_patterns() if mode == LIVE else file_patterns()
if answer is None:
    st.stop()
frame = patterns_frame(answer.get("patterns", []))
if frame.empty:
    st.info("No patterns yet: live traffic is counted as it is classified (JSON, NDJSON, "
            "OTLP; file uploads with live=true).")
    st.stop()
for source in answer.get("sources", []):
    base = source.get("baseline") or {}
    state = (f"learning ({base.get('records', 0):,} of {base.get('target', 0):,} lines)"
             if base.get("state") == "learning" else
             f"{base.get('state', 'none')} ({base.get('templates', 0)} templates)")
    st.caption(f"**{source['source']}**: {source['lines']:,} lines, baseline {state}")
problems, fresh = int(frame["problem"].sum()), int(frame["new"].sum())
st.caption(f"{len(frame)} of {answer.get('total', len(frame))} patterns shown; {problems} "
           f"with a problem label, {fresh} new since their source's baseline.")
st.dataframe(frame, hide_index=True, key="patterns_table", column_config={
    "trend": st.column_config.LineChartColumn("count over time"),
    "share": st.column_config.ProgressColumn("share", min_value=0.0, max_value=1.0,
                                             format="%.2f"),
    "confidence": st.column_config.NumberColumn("confidence", format="%.2f")})
st.download_button("Download CSV", safe_csv_once(frame.drop(columns="trend"), "patterns_csv"),
                   "patterns.csv", "text/csv", key="patterns_download",
                   icon=":material/download:")
relabel(frame)
