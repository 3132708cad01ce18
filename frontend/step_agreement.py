"""Sessions page: sift's steps against the log's own activity / label column, as the Logs
page does for labelled uploads - accuracy, macro-F1, a confusion chart, the disagreeing
events first, and one click to teach the log's label.

The figures are the API's (`agreement` in POST /v1/sessions/views); a correction goes to
POST /v1/feedback by the event's prediction id when the page has one, else with the
event's model columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from frontend.feedback import feedback_available, missing_credential, send_feedback
from sift_tables import normalize_header

if TYPE_CHECKING:
    from frontend.process_views import TaggedLog

NONE = "(none)"
SHOWN = 20  # disagreeing events listed with a button each
SIFT_OUTPUTS = ("step_name", "confidence", "abstained", "predicted_step", "reason",
                "model_version", "prediction_id")


def candidates(log: TaggedLog) -> list[str]:
    """Columns that may hold a label: not sift's outputs, not the case or the time."""
    skip = {log.case, log.timestamp, log.step}
    outputs = {normalize_header(f"sift_{o}") for o in SIFT_OUTPUTS}
    if log.step == "step_name":  # the input had no step column: sift's are unprefixed
        outputs |= {normalize_header(o) for o in SIFT_OUTPUTS}
    return [str(c) for c in log.frame.columns
            if c not in skip and normalize_header(str(c)) not in outputs]


def label_choice(log: TaggedLog) -> str | None:
    """The column to compare with; the model's own label column when the log has it."""
    options = [NONE, *candidates(log)]
    wanted = normalize_header(log.label) if log.label else None
    default = next((i for i, c in enumerate(options) if normalize_header(c) == wanted), 0)
    choice = st.selectbox("Compare with the log's own column", options, index=default,
                          key="views_label",
                          help="An activity or label column the log already has: sift's "
                               "steps are scored against it (abstained events count as "
                               "disagreements).")
    return None if choice == NONE else str(choice)


def agreement_section(log: TaggedLog, figures: dict[str, Any]) -> None:
    if not figures.get("labelled_rows"):
        st.info(f"The column {figures.get('column')!r} is empty: nothing to compare.")
        return
    st.subheader(f"Agreement with `{figures['column']}`")
    left, mid, right = st.columns(3)
    left.metric("Accuracy", f"{figures['accuracy']:.1%}")
    mid.metric("Macro-F1", f"{figures['macro_f1']:.3f}")
    right.metric("Disagreements", f"{len(figures['disagreements']):,}")
    labels = list(figures["labels"])
    st.caption(f"Events per label in `{figures['column']}` (bars), split by sift's step "
               "(colours), on the events sent.")
    st.bar_chart(pd.DataFrame(figures["confusion"], index=labels, columns=labels))
    disagreements = list(figures["disagreements"])
    if not disagreements:
        st.success("sift agrees with every labelled event.")
        return
    teach = feedback_available()
    blocked = missing_credential() if teach else None
    if blocked:
        st.info(blocked, icon=":material/lock:")
    frame = log.frame
    for i in disagreements[:SHOWN]:
        row = frame.iloc[i]
        theirs, sift = str(row[figures["column"]]), str(row[log.step])
        text, button = st.columns([5, 2])
        text.markdown(f"`{i}` case {row[log.case]} at {row[log.timestamp]}: "
                      f"log **{theirs}**, sift **{sift}**")
        if teach and button.button(f"Teach: {theirs}", key=f"views_teach_{i}",
                                   disabled=bool(blocked)):
            send_feedback(correction(log, row, theirs, sift), f" for event {i}")
    if len(disagreements) > SHOWN:
        st.caption(f"First {SHOWN} of {len(disagreements):,} disagreements.")


def correction(log: TaggedLog, row: pd.Series, label: str, predicted: str) -> dict[str, Any]:
    """The feedback body: by prediction id when the API gave one, else the event's row."""
    body: dict[str, Any] = {"verdict": "correct", "correct_label": label}
    prediction_id = row.get("prediction_id")
    if isinstance(prediction_id, str) and prediction_id:
        return {**body, "prediction_id": prediction_id}
    return {**body, "model": log.model, "predicted": predicted,
            "input": {c: str(row[c]) for c in log.inputs if c in row.index}}
