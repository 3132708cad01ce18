"""Streamlit building blocks shared by the Logs and Sessions pages.

Both pages run the same flow: `show_preview`, then `classify_once` (a button whose
run is a whole-file API job, `frontend.jobs`, kept per input), then `show_results`,
which draws what the job returned: the summary's metrics, the API's CSV as a
filtered, paginated table and download, and the API's what-if curve.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from frontend import tables
from frontend.api_client import ApiClient, ApiError

PAGE_SIZES = (50, 100, 500)


@dataclass(frozen=True)
class ResultSpec:
    """Which columns of a results frame mean what, and the widget-key prefix."""

    key: str
    label_col: str
    tier_col: str | None
    filename: str
    server_threshold: float


def client() -> ApiClient:
    """A client for this script run (reads SIFT_API_URL each time, so tests can move it)."""
    return ApiClient()


@st.cache_data(ttl=30, show_spinner=False)
def _server_paths(base_url: str) -> frozenset[str]:
    return frozenset(ApiClient(base_url).paths())


def route_available(path: str) -> bool:
    """Whether the API has `path`; the route list is cached for 30 s per API URL, so
    reruns (every click) do not refetch the OpenAPI document. Raises ApiError."""
    return path in _server_paths(client().base_url)


def require_route(path: str, feature: str, model: str) -> None:
    """Stop the page unless the API has `path`: an error when the API cannot be
    reached, else a hint to update the API to a version with `model`."""
    try:
        available = route_available(path)
    except ApiError as exc:
        show_error(exc)
        st.stop()
    if not available:
        st.info(f"{feature} is not available on this server (no `{path}` route). "
                f"Update the API to a version with the {model}.", icon=":material/info:")
        st.stop()


def show_error(error: ApiError | tables.InputError) -> None:
    """A readable message, never a traceback."""
    st.error(str(error), icon=":material/error:")


def show_preview(frame: pd.DataFrame, key: str, caption: str) -> None:
    st.subheader("Preview")
    st.caption(caption)
    st.dataframe(frame.head(10), key=f"{key}_preview", hide_index=True)


def classify_once(key: str, input_id: str, button: str,
                  run: Callable[[], dict[str, object]]) -> dict[str, Any] | None:
    """The primary button (`{key}_classify`) that runs `run`, its result kept in
    `st.session_state[f"{key}_result"]` for `input_id`. Returns that result under a
    Results header (model, threshold, warnings), or None while there is none for
    this input."""
    state = f"{key}_result"
    if st.button(button, type="primary", key=f"{key}_classify", icon=":material/play_arrow:"):
        try:
            st.session_state[state] = {"id": input_id, **run()}
        except ApiError as exc:
            st.session_state.pop(state, None)
            show_error(exc)
    result: dict[str, Any] | None = st.session_state.get(state)
    if not result or result["id"] != input_id:
        return None
    st.subheader("Results")
    st.caption(f"Model {result['model_version']}, server threshold {result['threshold']:.2f}")
    for warning in result["warnings"]:
        st.warning(warning)
    return result


def show_metrics(summary: dict[str, Any]) -> None:
    """The API's summary: rows, labelled, coverage, and the row accounting."""
    cols = st.columns(4)
    cols[0].metric("Rows", f"{summary['rows_in']:,}")
    cols[1].metric("Labelled", f"{summary['classified']:,}")
    cols[2].metric("Coverage", f"{summary['coverage']:.1%}")
    if "mean_confidence" in summary:
        cols[3].metric("Mean confidence", f"{summary['mean_confidence']:.2f}")
    else:
        cols[3].metric("Abstained", f"{summary['abstained']:,}")
    by_tier = ", ".join(f"{k}: {v:,}" for k, v in (summary.get("by_tier") or {}).items())
    st.caption(f"Rows in {summary['rows_in']:,} = labelled {summary['classified']:,} + "
               f"abstained {summary['abstained']:,} + refused {summary['refused']:,}"
               + (f". Rows per tier - {by_tier}" if by_tier else ""))


def show_charts(result: dict[str, Any], spec: ResultSpec) -> None:
    """Label and tier counts from the summary; the what-if slider reads the API's curve
    (its points include the served threshold, so the two always agree there)."""
    summary = result["summary"]
    left, right = st.columns(2)
    with left:
        st.markdown("**Label distribution**")
        by_label = summary.get("by_label") or summary.get("labels") or {}
        st.bar_chart(pd.Series(by_label, name="rows"), horizontal=True)
        if summary.get("by_tier"):
            st.markdown("**Tier split**")
            st.bar_chart(pd.Series(summary["by_tier"], name="rows"))
    with right:
        st.markdown("**Coverage vs threshold**")
        curve = pd.DataFrame(result["curve"]).set_index("threshold")
        served = float(result["threshold"])
        threshold = st.select_slider("Threshold (what-if, from the API's curve)",
                                     list(curve.index), value=served,
                                     format_func=lambda t: f"{t:.2f}",
                                     key=f"{spec.key}_threshold_{result['job'][:8]}")
        point, base = curve.loc[threshold], curve.loc[served]
        st.metric("Coverage at this threshold", f"{point['coverage']:.1%}",
                  delta=f"{point['coverage'] - base['coverage']:+.1%} vs server threshold "
                        f"{served:.2f}")
        if point["accuracy"] is not None and not pd.isna(point["accuracy"]):
            st.metric("Agreement with your labels at this threshold",
                      f"{point['accuracy']:.1%}")
        shown = [c for c in ("coverage", "accuracy") if curve[c].notna().any()]
        st.line_chart(curve[shown].astype(float))
        st.caption("From the API: rows whose answer the threshold decides count once their "
                   "confidence reaches it; rules, memory and LLM answers do not depend on it.")


def show_table(frame: pd.DataFrame, spec: ResultSpec) -> pd.DataFrame:
    """Filters + one page of rows; returns the filtered frame."""
    f1, f2, f3 = st.columns([2, 2, 1])
    labels = f1.multiselect("Label", sorted(frame[spec.label_col].unique()),
                            key=f"{spec.key}_filter_label")
    tiers: list[str] = []
    if spec.tier_col:
        tiers = f2.multiselect("Tier", sorted(frame[spec.tier_col].astype(str).unique()),
                               key=f"{spec.key}_filter_tier")
    only = f3.checkbox("Unclassified only", key=f"{spec.key}_filter_unclassified")
    shown = tables.filter_rows(frame, labels, tiers, only, spec.label_col, spec.tier_col or "")
    p1, p2, p3 = st.columns([1, 1, 3])
    size = p1.selectbox("Rows per page", PAGE_SIZES, index=1, key=f"{spec.key}_page_size")
    pages = max(math.ceil(len(shown) / size), 1)
    number = p2.number_input("Page", 1, pages, 1, key=f"{spec.key}_page")
    p3.caption(f"{len(shown):,} of {len(frame):,} rows match - page {number} of {pages:,}")
    first = [c for c in (spec.label_col, "confidence", spec.tier_col) if c]
    order = first + [c for c in frame.columns if c not in first]
    st.dataframe(tables.page(shown, int(number), size), key=f"{spec.key}_table",
                 column_order=order,
                 column_config={"confidence": st.column_config.ProgressColumn(
                     "confidence", min_value=0.0, max_value=1.0, format="%.2f")})
    return shown


def safe_csv_once(frame: pd.DataFrame, key: str) -> bytes:
    """An export built once per frame, not on every rerun (50k rows take ~1 s)."""
    cached = st.session_state.get(key)
    if cached is None or cached[0] is not frame:
        cached = (frame, tables.to_safe_csv(frame))
        st.session_state[key] = cached
    return cached[1]


def show_download(result: dict[str, Any], spec: ResultSpec) -> None:
    st.download_button("Download labelled CSV", result["csv"], spec.filename,
                       "text/csv", key=f"{spec.key}_download", icon=":material/download:")
    st.caption("The API's CSV: cells that would start a spreadsheet formula (= + - @) are "
               "prefixed with '.")


def show_results(result: dict[str, Any], spec: ResultSpec,
                 after_table: Callable[[], None] | None = None) -> pd.DataFrame:
    """Metrics, download, table (then `after_table`, e.g. feedback) and charts, all from
    the job's answer."""
    show_metrics(result["summary"])
    show_download(result, spec)
    shown = show_table(result["frame"], spec)
    if after_table is not None:
        after_table()
    st.subheader("Charts")
    show_charts(result, spec)
    return shown
