"""Logs page: agreement with the file's own labels, disagreements first, one-click
corrections that say how many other rows changed with them, and a retrain offer.

The figures are the API's (the job's `agreement`), computed in one place; the page only
shows them. After a correction the file runs again as a job, so the count of rows that
changed is the API's answer before and after, compared row by row.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from frontend.api_client import ApiError
from frontend.components import client, show_error
from frontend.jobs import run_file

SHOWN = 20  # disagreeing rows listed with a button each


def agreement_section(result: dict[str, Any], upload: tuple[bytes, str, str, str, str]
                      ) -> None:
    """Shown when the job compared sift with a label column of the file (LABEL_COLUMN)."""
    figures = result.get("agreement")
    if not figures or not figures.get("labelled_rows"):
        return
    given, sift = result["frame"], result["frame"][result["columns"]["target_label"]]
    column = str(figures["column"])
    st.subheader("Agreement with your labels")
    left, mid, right = st.columns(3)
    left.metric("Accuracy", f"{figures['accuracy']:.1%}")
    mid.metric("Macro-F1", f"{figures['macro_f1']:.3f}")
    right.metric("Disagreements", f"{len(figures['disagreements']):,}")
    labels = list(figures["labels"])
    st.caption("Rows per label in your file (bars) split by sift's label (colours).")
    st.bar_chart(pd.DataFrame(figures["confusion"], index=labels, columns=labels))
    disagreements = list(figures["disagreements"])
    if not disagreements:
        st.success("sift agrees with every labelled row.")
        return
    only = st.toggle("Show only the rows where sift and your file disagree", value=True,
                     key="logs_disagree_only")
    wrong = set(disagreements)
    order = disagreements + [i for i in range(len(given)) if i not in wrong]
    for i in order[:SHOWN] if only else order[:SHOWN * 2]:
        mine, theirs = str(given.iloc[i][column]), str(sift.iloc[i])
        text, button = st.columns([5, 2])
        text.markdown(f"`{i}` {given.iloc[i]['source']}: {given.iloc[i]['log_message']}  \n"
                      f"yours **{mine}**, sift **{theirs}**")
        if mine != theirs and button.button(f"Teach: {mine}", key=f"logs_teach_{i}"):
            teach(given.iloc[i], sift, i, mine, upload)
    if len(disagreements) > SHOWN:
        st.caption(f"First {SHOWN} of {len(disagreements):,} disagreements.")
    show_changed()


def teach(row: pd.Series, sift: pd.Series, i: int, label: str,
          upload: tuple[bytes, str, str, str, str]) -> None:
    """One correction; then the file again as a job, and how many other rows changed."""
    try:
        answer = client().send_feedback({
            "model": "log-classifier", "verdict": "correct", "correct_label": label,
            "predicted": str(sift.iloc[i]),
            "input": {"source": str(row["source"]), "log_message": str(row["log_message"])}})
        held = bool(answer.get("held_for_approval"))
        after = None if held else run_file("logs", lambda: client().start_log_job(*upload),
                                           "Classifying again")
    except ApiError as exc:
        show_error(exc)
        return
    changed = None
    if after is not None:
        again = after["frame"][after["columns"]["target_label"]].astype(str)  # type: ignore[index]
        changed = int(sum(j != i and b != a for j, (b, a) in enumerate(
            zip(sift.astype(str), again, strict=True))))
    st.session_state["logs_changed"] = (i, label, changed, answer.get("note"))


def show_changed() -> None:
    """The last correction's effect and the offer to retrain."""
    last = st.session_state.get("logs_changed")
    if not last:
        return
    i, label, changed, note = last
    if changed is None:  # the API held it: a problem label turned routine, or a new label
        st.warning(f"Row {i} -> **{label}** is held for approval: it changes no answer "
                   "until an admin approves it (Approvals page).", icon=":material/pending:")
    else:
        st.success(f"Row {i} is now **{label}**; {changed:,} other rows changed with it "
                   "(same template, answered from the feedback memory, in your requests). "
                   "Classify again to see them.")
    if note:
        st.caption(str(note))
    if st.button("Retrain the log model with my corrections", key="logs_retrain",
                 icon=":material/model_training:"):
        try:
            job = client().retrain("log-classifier")
        except ApiError as exc:
            show_error(exc)
            return
        st.info(f"Retrain job {job.get('id')} {job.get('status')}; the new version is served "
                "only if it is not worse (Models page).")
