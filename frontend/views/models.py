"""Models page: what the service serves now, which versions exist, their metrics."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from frontend.api_client import ApiError
from frontend.components import client, show_error

SHOWN_METRICS = ("accuracy", "macro_f1", "coverage_at_threshold", "threshold",
                 "selective_accuracy", "token_accuracy")


def versions_frame(model: dict[str, object]) -> pd.DataFrame:
    rows = []
    for version in model.get("versions", []):  # type: ignore[attr-defined]
        metrics = version.get("metrics", {})
        row = {"version": version["version"], "created": version.get("created", ""),
               "active": version["version"] == model.get("active_version"),
               "labels": len(version.get("labels", []))}
        row.update({k: metrics[k] for k in SHOWN_METRICS if isinstance(metrics.get(k),
                                                                         int | float)})
        rows.append(row)
    return pd.DataFrame(rows)


st.title("Models")
st.caption("The registry as the API sees it: the active version of each model and the others "
           "it could switch to.")

try:
    models = client().models()
except ApiError as exc:
    show_error(exc)
    st.stop()
if not models:
    st.info("The registry is empty. Train a model (`make models`) and restart the API.")
    st.stop()

for model in models:
    with st.container(border=True):
        st.subheader(model["name"])
        cols = st.columns(3)
        cols[0].metric("Active version", model.get("active_version") or "none")
        cols[1].metric("Status", model.get("status", "?"))
        cols[2].metric("Versions", len(model.get("versions", [])))
        if model.get("error"):
            st.warning(f"Not serving: {model['error']}")
        frame = versions_frame(model)
        if not frame.empty:
            st.dataframe(frame, hide_index=True, key=f"models_{model['name']}_versions")
            labels = model["versions"][-1].get("labels", [])
            if labels:
                st.caption("Labels: " + ", ".join(labels))


def drift_frame(report: dict[str, object]) -> pd.DataFrame:
    """One row per source: the statistics the drift thresholds are judged on."""
    columns = ["source", "records", "baseline", "new_template_share", "mean_confidence",
               "label_psi", "drifting"]
    rows = [{c: row.get(c) for c in columns} for row in report.get("sources", [])]  # type: ignore[attr-defined]
    return pd.DataFrame(rows, columns=columns)


st.subheader("Drift of the live log stream")
try:
    drift = client().drift() if client().has("/v1/drift") else None
except ApiError as exc:
    drift = None
    st.caption(f"Drift is not available: {exc}")
if drift is not None:
    frame = drift_frame(drift)
    if frame.empty:
        st.info("No logs classified in the drift window yet: classify some logs (API, OTLP "
                "or the Logs page) and come back.")
    else:
        window_min = float(drift.get("window_s", 3600)) / 60
        st.caption(f"Last {window_min:g} minutes, each source against its own baseline "
                   f"({drift.get('model_version')}): {drift.get('summary')}")
        thresholds = drift.get("thresholds", {})
        chart = frame.set_index("source")[["new_template_share", "label_psi"]]
        st.bar_chart(chart, horizontal=True, stack=False)
        st.caption(f"A source drifts above {thresholds.get('new_templates')} new templates, "
                   f"above PSI {thresholds.get('psi')}, or below mean confidence "
                   f"{thresholds.get('mean_confidence')}.")
        st.dataframe(frame, hide_index=True, key="drift_table")
