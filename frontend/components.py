"""Streamlit building blocks shared by the Logs and Sessions pages.

Both pages run the same flow: `show_preview`, then `classify_once` (a button
whose run goes through `run_in_chunks` and `chunked_result`, kept per input),
then `show_results`, which draws metrics, charts, a filtered and paginated
table and the download from one results frame; the slider recomputes coverage
from the confidences already on the client, without another API call.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from frontend import tables
from frontend.api_client import ApiClient, ApiError, run_chunked

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


def progress_callback(text: str) -> Callable[[int, int], None]:
    """A progress bar updated after every chunk; real progress, not a spinner."""
    bar = st.progress(0.0, text=f"{text}: starting")

    def update(done: int, total: int) -> None:
        if done >= total:
            bar.empty()  # finished: the results below replace the bar
        else:
            bar.progress(done / max(total, 1), text=f"{text}: {done:,} / {total:,} rows")

    return update


def run_in_chunks(calls: Iterator[dict[str, Any]], total: int, text: str
                  ) -> list[dict[str, Any]]:
    """Drain one API call per chunk of `total` rows behind a progress bar."""
    return run_chunked(calls, total, progress_callback(text))


def chunked_result(frame: pd.DataFrame, responses: list[dict[str, Any]]) -> dict[str, object]:
    """A page's result: the labelled frame, the first chunk's threshold and model
    version, and every distinct warning of the chunks."""
    warnings = sorted({*frame.attrs.get("warnings", []),
                       *(w for r in responses for w in r.get("warnings", []))})
    return {"frame": frame, "threshold": float(responses[0]["threshold"]),
            "model_version": str(responses[0]["model_version"]), "warnings": warnings}


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


def show_metrics(frame: pd.DataFrame, spec: ResultSpec) -> None:
    tiers = frame[spec.tier_col] if spec.tier_col else pd.Series(dtype=str)
    summary = tables.summarize(frame[spec.label_col], tiers)
    cols = st.columns(4)
    cols[0].metric("Rows", f"{summary['total']:,}")
    cols[1].metric("Labelled", f"{summary['classified']:,}")
    cols[2].metric("Coverage", f"{summary['coverage']:.1%}")
    cols[3].metric("Mean confidence", f"{frame['confidence'].mean():.2f}")
    by_tier = ", ".join(f"{k}: {v:,}" for k, v in summary["by_tier"].items())  # type: ignore[attr-defined]
    if by_tier:
        st.caption(f"Rows per tier - {by_tier}")


def show_charts(frame: pd.DataFrame, spec: ResultSpec, gated: np.ndarray) -> None:
    confidence = frame["confidence"].to_numpy(dtype=float)
    fixed = (frame[spec.label_col] != tables.UNCLASSIFIED).to_numpy(dtype=bool) & ~gated
    left, right = st.columns(2)
    with left:
        st.markdown("**Label distribution**")
        st.bar_chart(frame[spec.label_col].value_counts().rename("rows"), horizontal=True)
        st.markdown("**Confidence histogram**")
        st.bar_chart(tables.confidence_histogram(confidence), x="confidence", y="rows")
    with right:
        if spec.tier_col:
            st.markdown("**Tier split**")
            st.bar_chart(frame[spec.tier_col].value_counts().rename("rows"))
        st.markdown("**Coverage vs threshold**")
        threshold = st.slider("Threshold (what-if, computed here)", 0.0, 1.0,
                              float(round(spec.server_threshold, 2)), 0.01,
                              key=f"{spec.key}_threshold")
        coverage = tables.coverage_at(confidence, gated, fixed, threshold)
        base = tables.coverage_at(confidence, gated, fixed, spec.server_threshold)
        st.metric("Coverage at this threshold", f"{coverage:.1%}",
                  delta=f"{coverage - base:+.1%} vs server threshold {spec.server_threshold:.2f}")
        st.line_chart(tables.coverage_curve(confidence, gated, fixed), x="threshold",
                      y="coverage")
        st.caption("Recomputed here from the returned confidences: rows whose answer depends "
                   "on the threshold count once their confidence reaches it; rules and LLM "
                   "answers do not depend on it.")


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
    """The export is built once per result, not on every rerun (50k rows take ~1 s)."""
    cached = st.session_state.get(key)
    if cached is None or cached[0] is not frame:
        cached = (frame, tables.to_safe_csv(frame))
        st.session_state[key] = cached
    return cached[1]


def show_download(frame: pd.DataFrame, spec: ResultSpec) -> None:
    data = safe_csv_once(frame, f"{spec.key}_export")
    st.download_button("Download labelled CSV", data, spec.filename,
                       "text/csv", key=f"{spec.key}_download", icon=":material/download:")
    st.caption("Cells that would start a spreadsheet formula (= + - @) are prefixed with '.")


def show_results(frame: pd.DataFrame, spec: ResultSpec, gated: np.ndarray,
                 after_table: Callable[[], None] | None = None) -> pd.DataFrame:
    """Metrics, download, table (then `after_table`, e.g. feedback) and charts;
    `gated` marks the rows whose answer the threshold decides."""
    show_metrics(frame, spec)
    show_download(frame, spec)
    shown = show_table(frame, spec)
    if after_table is not None:
        after_table()
    st.subheader("Charts")
    show_charts(frame, spec, gated)
    return shown
