"""Approvals page (admin): corrections held one by one (a writer turned a problem label into
a routine one) and labels new to a model, each approved or rejected here. The API decides
what is held; the page lists it and sends the admin's decision."""

from __future__ import annotations

from typing import Any

import streamlit as st

from frontend.api_client import ApiError
from frontend.components import client, show_error

NEEDS_ADMIN = ("Approvals need the admin token: start the UI with `SIFT_API_TOKEN` set to the "
               "API's `API_TOKEN`. Writers' corrections that wait are listed here for the "
               "admin.")


def _line(given: dict[str, Any]) -> str:
    """The corrected input as one line (log: `source: message`; else its fields)."""
    if "log_message" in given:
        return f"{given.get('source') or '-'}: {given['log_message']}"
    return ", ".join(f"{k}: {v}" for k, v in given.items())


def _decide(feedback_id: int, approve: bool) -> None:
    try:
        answer = client().decide_held(feedback_id, approve)
    except ApiError as exc:
        show_error(exc)
        return
    st.session_state["approvals_done"] = f"Correction #{feedback_id} {answer['decision']}."
    st.rerun()


def _approve_label(model: str, label: str) -> None:
    try:
        answer = client().approve_label(model, label)
    except ApiError as exc:
        show_error(exc)
        return
    st.session_state["approvals_done"] = (f"Label '{label}' approved for {model}: "
                                          f"{answer['corrections']} corrections may train.")
    st.rerun()


def held_section(held: list[dict[str, Any]]) -> None:
    st.subheader("Held corrections")
    if not held:
        st.success("No correction is waiting for approval.")
        return
    st.caption("A writer turned a problem label into a routine one. Approved, the correction "
               "answers its template in that writer's requests (and everyone's on the sources "
               "WRITER_SOURCES grants it) and trains from the next retrain on.")
    for item in held:
        fid = int(item["feedback_id"])
        with st.container(border=True):
            text, ok, no = st.columns([6, 1, 1])
            text.markdown(f"**#{fid}** `{item.get('client') or '?'}` on {item['model']}: "
                          f"**{item.get('predicted')}** -> **{item.get('label')}**")
            text.text(_line(item.get("input") or {}))
            if ok.button("Approve", key=f"approvals_ok_{fid}", icon=":material/check:"):
                _decide(fid, True)
            if no.button("Reject", key=f"approvals_no_{fid}", icon=":material/close:"):
                _decide(fid, False)


def labels_section(pending: list[dict[str, Any]]) -> None:
    st.subheader("New labels")
    if not pending:
        st.success("No new label is waiting for approval.")
        return
    for n, item in enumerate(pending):
        text, ok = st.columns([6, 1])
        text.markdown(f"**{item['label']}** for {item['model']}: {item['corrections']} "
                      f"corrections from {item['clients']} clients")
        if ok.button("Approve", key=f"approvals_label_{n}", icon=":material/check:"):
            _approve_label(str(item["model"]), str(item["label"]))


st.title("Approvals")
st.caption("What feedback may not do alone waits here for the admin.")
done = st.session_state.pop("approvals_done", None)
if done:
    st.success(done)
try:
    held, pending = client().held_feedback(), client().pending_labels()
except ApiError as exc:
    if exc.status in (401, 403):
        st.info(NEEDS_ADMIN, icon=":material/admin_panel_settings:")
    else:
        show_error(exc)
    st.stop()
held_section(held)
labels_section(pending)
