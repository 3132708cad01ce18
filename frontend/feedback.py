"""Feedback from a results table: mark a row correct or give the right label.

Shown only when the server has POST /v1/feedback; until then the control is absent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from frontend.api_client import FEEDBACK, ApiClient, ApiError
from frontend.components import ResultSpec, client, route_available, show_error
from frontend.tables import UNCLASSIFIED

OTHER = "Other..."


def feedback_available() -> bool:
    try:
        return route_available(FEEDBACK)
    except ApiError:
        return False


@st.cache_data(ttl=30, show_spinner=False)
def _models(base_url: str) -> list[dict[str, Any]]:
    return ApiClient(base_url).models()


def served_labels(model: str) -> list[str]:
    """The label set of the version the API serves for `model` (empty if unknown);
    cached for 30 s so a click does not refetch the registry."""
    try:
        models = _models(client().base_url)
    except ApiError:
        return []
    for entry in models:
        if entry["name"] == model:
            for version in entry.get("versions", []):
                if version["version"] == entry.get("active_version"):
                    return list(version.get("labels", []))
    return []


NO_CREDENTIAL = ("Feedback is off: this UI has no credential to send it with. `make run` "
                 "creates one in `.env` on first run; elsewhere start the UI with "
                 "SIFT_WRITER_TOKEN (a WRITER_TOKENS key) or SIFT_API_TOKEN.")


def missing_credential() -> str | None:
    """Why feedback buttons are disabled (the API refuses feedback without a token), or
    None when this UI has a credential."""
    return None if client().token else NO_CREDENTIAL


def feedback_hook(frame: pd.DataFrame, spec: ResultSpec, model: str,
                  input_cols: tuple[str, ...]) -> Callable[[], None] | None:
    """`row_feedback` for `show_results(after_table=...)`, or None when the server
    takes no feedback."""
    if not feedback_available():
        return None
    return lambda: row_feedback(frame, spec, model, input_cols)


def row_feedback(frame: pd.DataFrame, spec: ResultSpec, model: str,
                 input_cols: tuple[str, ...]) -> None:
    """Pick a row by its number, then accept its label or send the right one."""
    # keyed, so it stays open across the reruns its own inputs cause
    with st.expander("Feedback on a row", icon=":material/rate_review:",
                     key=f"{spec.key}_fb_open"):
        number = st.number_input("Row number (the table's index)", 0, len(frame) - 1, 0,
                                 key=f"{spec.key}_fb_row")
        row = frame.iloc[int(number)]
        predicted = str(row[spec.label_col])
        st.caption(" | ".join(f"{c}: {row[c]}" for c in input_cols)
                   + f" -> **{predicted}** ({float(row['confidence']):.2f})")
        labels = sorted((set(frame[spec.label_col]) | set(served_labels(model)))
                        - {UNCLASSIFIED})
        blocked = missing_credential()
        if blocked:
            st.info(blocked, icon=":material/lock:")
        left, right = st.columns(2)
        accept = left.button("Label is correct", key=f"{spec.key}_fb_accept",
                             icon=":material/thumb_up:",
                             disabled=predicted == UNCLASSIFIED or bool(blocked))
        with right:
            choice = st.selectbox("Right label", [*labels, OTHER], key=f"{spec.key}_fb_choice")
            other = st.text_input("Other label", key=f"{spec.key}_fb_other",
                                  disabled=choice != OTHER)
            correct = st.button("Send correction", key=f"{spec.key}_fb_correct",
                                icon=":material/edit:", disabled=bool(blocked))
        label = other.strip() if choice == OTHER else choice
        body = verdict_body(accept, correct, label, predicted, "label")
        if body is None:
            return
        prediction_id = row.get("prediction_id")
        if isinstance(prediction_id, str) and prediction_id:  # the server's own record
            body |= {"prediction_id": prediction_id}
        else:
            body |= {"model": model, "input": {c: str(row[c]) for c in input_cols},
                     "predicted": predicted}
        send_feedback(body, f" for row {int(number)}")


def verdict_body(accept: bool, correct: bool, label: str, predicted: str,
                 noun: str) -> dict[str, object] | None:
    """The verdict of a feedback body for the button clicked: a correction to the
    predicted label counts as an accept. None when no button was clicked, or when a
    correction has no label (then a warning asks for the right `noun`)."""
    if not (accept or correct):
        return None
    if correct and not label:
        st.warning(f"Type the right {noun} first.")
        return None
    if accept or label == predicted:
        return {"verdict": "accept"}
    return {"verdict": "correct", "correct_label": label}


def send_feedback(body: dict[str, object], what: str = "") -> None:
    """POST `body` to /v1/feedback and confirm what was stored (`what`, e.g.
    " for row 7", follows "saved"), or show the error."""
    try:
        answer = client().send_feedback(body)
    except ApiError as exc:
        show_error(exc)
        return
    label = f": {answer['correct_label']}" if answer.get("correct_label") else ""
    saved = f"Feedback #{answer['feedback_id']} saved{what} ({answer['verdict']}{label})"
    if answer.get("held_for_approval"):
        st.warning(f"{saved}: held for approval. It neither answers nor trains until an "
                   "admin approves it (Approvals page).", icon=":material/pending:")
    else:
        st.success(f"{saved}.")
    if answer.get("note"):
        st.caption(answer["note"])
