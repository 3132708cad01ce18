"""Sessions page: the tagged log as an analyst reads it - process map, variants, one case's
timeline, step durations, XES out (agreement with the log's own column: step_agreement).

Every figure comes from the API (POST /v1/sessions/views and /v1/sessions/xes), computed
from the tagged rows handed to `show_process_views` (the CSV of the page's tagging job).
Abstained events are the step `Unclassified`: a grey, dashed node of the map, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import streamlit as st

from frontend.api_client import ApiClient, ApiError
from frontend.components import client, show_error
from frontend.step_agreement import agreement_section, label_choice
from sift_tables import normalize_header

UNCLASSIFIED = "Unclassified"
MAX_EDGES = 60  # transitions drawn; the rarest beyond this are listed as a count
MAX_CASES = 2000  # case ids offered in the timeline picker


@dataclass(frozen=True)
class TaggedLog:
    """Tagged rows and where things are in them (names as in `frame`)."""

    frame: pd.DataFrame
    key: str  # identifies the input (file hash + model): caches are per key
    case: str
    timestamp: str
    step: str  # sift's step column
    model: str
    inputs: tuple[str, ...]  # the model's required columns (a correction's input)
    label: str = ""  # the model's label column: the default to compare with


def human(seconds: float | None) -> str:
    """A duration for people: 42 s, 3.5 min, 9.8 h, 12.3 d."""
    if seconds is None or pd.isna(seconds):
        return ""
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def resolved(log: TaggedLog) -> TaggedLog:
    """The model's column names as the rows spell them (headers match loosely)."""
    names = {normalize_header(str(c)): str(c) for c in log.frame.columns}
    return replace(log, case=names.get(normalize_header(log.case), log.case),
                   timestamp=names.get(normalize_header(log.timestamp), log.timestamp))


def _columns(log: TaggedLog) -> dict[str, str]:
    return {"case": log.case, "timestamp": log.timestamp, "step": log.step}


def tagged_csv(log: TaggedLog, columns: tuple[str, ...] | None = None) -> bytes:
    """The rows (or some columns of them) as CSV, built once per input and column set."""
    memo = st.session_state.setdefault("views_csv", {})
    key = (log.key, columns)
    if key not in memo:
        part = log.frame if columns is None else log.frame[list(columns)]
        if len(memo) > 8:
            memo.clear()
        memo[key] = part.to_csv(index=False).encode()
    return memo[key]  # type: ignore[no-any-return]


@st.cache_data(max_entries=8, show_spinner="Computing the process views...")
def fetch_views(base_url: str, data: bytes, columns: dict[str, str], label: str | None,
                case: str | None) -> dict[str, Any]:
    """Cached per API, rows and options."""
    return ApiClient(base_url).session_views(data, columns, label, case)


def dot_source(process_map: dict, max_edges: int = MAX_EDGES) -> str:
    """Graphviz DOT of the step map: nodes with events, edges with count and median time."""
    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace('"', '\\"')

    def quote(text: str) -> str:
        return f'"{esc(text)}"'

    lines = ['digraph steps {', 'rankdir=LR; bgcolor="transparent";',
             'node [shape=box, style="rounded,filled", fillcolor="#e8f0fe", color="#4a6fa5", '
             'fontname="Helvetica", fontsize=11];',
             'edge [fontname="Helvetica", fontsize=9, color="#5b6b7f"];',
             '"__start" [label="start", shape=circle, fillcolor="#d7f0dd", fontsize=9];',
             '"__end" [label="end", shape=doublecircle, fillcolor="#f6d8d8", fontsize=9];']
    for node in process_map["nodes"]:
        style = (', style="rounded,dashed,filled", fillcolor="#eeeeee", color="#888888"'
                 if node["abstained"] else "")
        label = f'"{esc(node["step"])}\\n{node["events"]:,} events"'  # \\n: DOT's line break
        lines.append(f"{quote(node['step'])} [label={label}{style}];")
        if node["starts"]:
            lines.append(f'"__start" -> {quote(node["step"])} [label="{node["starts"]:,}", '
                         'style=dotted];')
        if node["ends"]:
            lines.append(f'{quote(node["step"])} -> "__end" [label="{node["ends"]:,}", '
                         'style=dotted];')
    edges = process_map["edges"][:max_edges]
    top = max((e["count"] for e in edges), default=1)
    for edge in edges:
        width = 1 + 4 * edge["count"] / top
        label = f"{edge['count']:,} | {human(edge['median_seconds'])}"
        lines.append(f"{quote(edge['source'])} -> {quote(edge['target'])} "
                     f"[label={quote(label)}, penwidth={width:.1f}];")
    return "\n".join([*lines, "}"])


def show_map(views: dict) -> None:
    st.subheader("Process map")
    process_map = views["process_map"]
    st.caption("Steps as tagged (consecutive events of one step are one step instance); "
               "edges: how often one step directly follows another, and the median time "
               "between them. Unclassified (abstained) events are the grey node.")
    st.graphviz_chart(dot_source(process_map), use_container_width=True)
    hidden = len(process_map["edges"]) - MAX_EDGES
    if hidden > 0:
        st.caption(f"The {hidden:,} rarest transitions are not drawn.")


def show_variants(views: dict) -> None:
    st.subheader("Variants")
    var = views["variants"]
    st.caption(f"{var['total']:,} variants (orders of steps) over {var['cases']:,} cases; "
               f"the {var['shown']} most common:")
    table = pd.DataFrame([{
        "#": v["rank"], "steps": " → ".join(v["steps"]), "cases": v["cases"],
        "share": f"{v['share']:.1%}", "median case duration": human(v["median_case_seconds"]),
        "mean case duration": human(v["mean_case_seconds"]), "example case": v["example_case"]}
        for v in var["variants"]])
    st.dataframe(table, hide_index=True, use_container_width=True, key="views_variants")


def show_durations(views: dict) -> None:
    st.subheader("Step durations")
    st.caption("Per step instance: first to last event of the step; 'until next' runs from "
               "its first event to the next step's first event in the same case.")
    table = pd.DataFrame([{
        "step": r["step"], "instances": r["instances"], "events": r["events"],
        "median": human(r["median_seconds"]), "p90": human(r["p90_seconds"]),
        "max": human(r["max_seconds"]), "median until next":
        human(r["median_until_next_seconds"])} for r in views["step_durations"]])
    st.dataframe(table, hide_index=True, use_container_width=True, key="views_durations")


def show_timeline(log: TaggedLog, first: dict | None) -> None:
    st.subheader("Case timeline")
    cases = pd.unique(log.frame[log.case].astype(str))[:MAX_CASES].tolist()
    case = st.selectbox("Case", cases, key="views_case")
    timeline = first if first and first["case"] == case else None
    if timeline is None:
        rows = log.frame[log.frame[log.case].astype(str) == case]
        part = tagged_csv(log, None) if rows.empty else rows.to_csv(index=False).encode()
        try:
            timeline = fetch_views(client().base_url, part, _columns(log), None, case)[
                "timeline"]
        except ApiError as exc:
            show_error(exc)
            return
    if not timeline:
        return
    st.caption(f"Case {timeline['case']}: {timeline['events']:,} events in "
               f"{timeline['instances']:,} step instances over "
               f"{human(timeline['duration_seconds'])}.")
    data = pd.DataFrame(timeline["steps"]).assign(
        duration=lambda d: d["duration_seconds"].map(human))
    encoding = {"y": {"field": "step", "type": "nominal", "sort": None, "title": None},
                "color": {"field": "step", "type": "nominal", "legend": None},
                "tooltip": [{"field": f} for f in ("step", "start", "end", "duration",
                                                    "events")]}
    start = {"field": "start", "type": "temporal", "title": "time"}
    st.vega_lite_chart(data, {"layer": [  # bars for steps that last, points for instants
        {"mark": {"type": "bar", "height": 14},
         "encoding": {**encoding, "x": start, "x2": {"field": "end"}}},
        {"mark": {"type": "point", "filled": True, "size": 60},
         "encoding": {**encoding, "x": start}}]}, use_container_width=True)


def export_xes(log: TaggedLog) -> None:
    """Fetched on request (a large log takes seconds), then offered for download."""
    stored = st.session_state.get("views_xes")
    if st.button("Export XES", key="views_xes_export", icon=":material/account_tree:"):
        try:
            with st.spinner("Writing XES..."):
                data = client().session_xes(tagged_csv(log), _columns(log))
        except ApiError as exc:
            show_error(exc)
            return
        stored = st.session_state["views_xes"] = (log.key, data)
    if stored and stored[0] == log.key:
        st.download_button("Download XES", stored[1], "tagged.xes", "application/xml",
                           key="views_xes_download", icon=":material/download:")
        st.caption("Step in `concept:name` (Unclassified when abstained), the log's own "
                   "`concept:name` as `original:concept:name`, `sift:confidence`, "
                   "`sift:abstained`, `sift:row`: open it in PM4Py, ProM or Disco.")


def show_process_views(log: TaggedLog) -> None:
    """The whole section, below the tagged table."""
    log = resolved(log)
    st.header("Process views")
    left, right = st.columns([2, 3])
    with left:
        export_xes(log)
    with right:
        label = label_choice(log)
    needed = tuple(dict.fromkeys(c for c in (log.case, log.timestamp, log.step, label) if c))
    try:
        views = fetch_views(client().base_url, tagged_csv(log, needed), _columns(log),
                            label, None)
    except ApiError as exc:
        show_error(exc)
        return
    summary = views["summary"]
    cols = st.columns(4)
    for col, (name, value) in zip(cols, (("Cases", summary["cases"]),
                                         ("Step instances", summary["step_instances"]),
                                         ("Variants", views["variants"]["total"]),
                                         ("Abstained events", summary["abstained_events"])),
                                  strict=True):
        col.metric(name, f"{value:,}")
    show_map(views)
    show_variants(views)
    show_durations(views)
    show_timeline(log, views["timeline"])
    if views.get("agreement"):
        agreement_section(log, views["agreement"])
