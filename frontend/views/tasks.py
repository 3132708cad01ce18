"""Tasks page: suggest a category for a task, and take the user's verdict as feedback."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from frontend.api_client import TASKS_CATEGORIZE, ApiError
from frontend.components import client, require_route, show_error
from frontend.feedback import (
    OTHER,
    feedback_available,
    missing_credential,
    send_feedback,
    verdict_body,
)

OUT_OF_DOMAIN = "out_of_domain"  # the label the API records an abstention under


def feedback_controls(result: dict[str, object]) -> None:
    """Accept the category or give the right one; stored through POST /v1/feedback."""
    st.markdown("**Was this right?**")
    suggestions = [s["category"] for s in result["suggestions"]]  # type: ignore[attr-defined]
    blocked = missing_credential()
    if blocked:
        st.info(blocked, icon=":material/lock:")
    left, right = st.columns(2)
    accept = left.button("Yes, correct", key="tasks_feedback_accept",
                         icon=":material/thumb_up:", disabled=bool(blocked))
    with right:
        choice = st.selectbox("The right category", [*suggestions, OTHER],
                              key="tasks_feedback_choice")
        other = st.text_input("Other category", key="tasks_feedback_other",
                              disabled=choice != OTHER)
        correct = st.button("Send correction", key="tasks_feedback_correct",
                            icon=":material/edit:", disabled=bool(blocked))
    predicted = str(result["category"] or OUT_OF_DOMAIN)  # what the API recorded
    label = other.strip() if choice == OTHER else choice
    body = verdict_body(accept, correct, label, predicted, "category")
    if body is None:
        return
    if result.get("prediction_id"):
        body["prediction_id"] = result["prediction_id"]
    else:
        body |= {"model": "task-categorizer", "input": result["input"], "predicted": predicted}
    send_feedback(body)


st.title("Tasks")
st.caption("Suggest a category for a task from its title and description. Above the "
           "auto-select threshold the category can be applied as is; below, pick a suggestion.")

api = client()
require_route(TASKS_CATEGORIZE, "Task categorisation", "task model")
with_feedback = feedback_available()

with st.form("tasks_form"):
    title = st.text_input("Title", key="tasks_title",
                          placeholder="Fix crash in the login form when the session expires")
    description = st.text_area("Description (optional)", key="tasks_description", height=100)
    submitted = st.form_submit_button("Suggest category", type="primary", key="tasks_submit")

if submitted:
    if not title.strip():
        st.warning("Enter the task's title first.")
        st.stop()
    task = {"title": title, "description": description or None}
    try:
        st.session_state["tasks_result"] = {**api.categorize_task(task), "input": task}
    except ApiError as exc:
        st.session_state.pop("tasks_result", None)
        show_error(exc)
        st.stop()

result = st.session_state.get("tasks_result")
if not result:
    st.stop()

cols = st.columns(3)
cols[0].metric("Category", result["category"] or "none")
cols[1].metric("Confidence", f"{result['confidence']:.0%}")
cols[2].metric("Model version", result["model_version"])
if result["category"] is None:
    st.warning(f"No category: {result.get('reason') or 'the model abstained.'} The "
               "suggestions below are the closest categories, if it is a task after all.",
               icon=":material/block:")
elif result["auto_selected"]:
    st.success("Confident enough to apply automatically.", icon=":material/check_circle:")
else:
    st.info("Not confident enough to apply automatically: pick one of the suggestions.")
st.dataframe(pd.DataFrame(result["suggestions"]), hide_index=True, key="tasks_suggestions",
             column_config={"confidence": st.column_config.ProgressColumn(
                 "confidence", min_value=0.0, max_value=1.0, format="%.2f")})
if with_feedback:
    feedback_controls(result)
