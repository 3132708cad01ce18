"""Logs page: agreement with the file's own labels, disagreements first, one-click
corrections that say how many other rows changed with them, and a retrain offer.

The figures come from the API (the CSV endpoint's `agreement`), so they are computed in
one place; the page only shows them.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from frontend.api_client import ApiClient, ApiError
from frontend.components import client, show_error

LABEL_COLUMN = "target_label"  # the API's LABEL_COLUMN default
SHOWN = 20  # disagreeing rows listed with a button each


@st.cache_data(show_spinner="Comparing with your labels...", max_entries=4)
def _agreement(base_url: str, data: bytes) -> dict[str, object] | None:
    """Cached per API and file content."""
    answer = ApiClient(base_url).classify_csv_json(data, "labelled.csv")
    figures: dict[str, object] | None = answer.get("agreement")
    return figures


def _relabel(rows: pd.DataFrame) -> list[str]:
    records = [{"source": str(s), "log_message": str(m)}
               for s, m in zip(rows["source"], rows["log_message"], strict=True)]
    return [p["label"] for r in client().iter_classify_logs(records) for p in r["predictions"]]


def agreement_section(given: pd.DataFrame, sift: pd.Series, model: str) -> None:
    """Shown when the uploaded rows carry a `target_label` column of their own; `sift` is
    sift's label per row."""
    if LABEL_COLUMN not in given.columns or not {"source", "log_message"} <= set(given.columns):
        return
    data = given[["source", "log_message", LABEL_COLUMN]].to_csv(index=False).encode()
    try:
        figures = _agreement(client().base_url, data)
    except ApiError as exc:
        show_error(exc)
        return
    if not figures or not figures.get("labelled_rows"):
        return
    st.subheader("Agreement with your labels")
    left, mid, right = st.columns(3)
    left.metric("Accuracy", f"{figures['accuracy']:.1%}")
    mid.metric("Macro-F1", f"{figures['macro_f1']:.3f}")
    right.metric("Disagreements", f"{len(figures['disagreements']):,}")  # type: ignore[arg-type]
    labels = list(figures["labels"])  # type: ignore[call-overload]
    confusion = pd.DataFrame(figures["confusion"], index=labels, columns=labels)
    st.caption("Rows per label in your file (bars) split by sift's label (colours).")
    st.bar_chart(confusion)
    disagreements = list(figures["disagreements"])  # type: ignore[call-overload]
    if not disagreements:
        st.success("sift agrees with every labelled row.")
        return
    only = st.toggle("Show only the rows where sift and your file disagree", value=True,
                     key="logs_disagree_only")
    order = disagreements + [i for i in range(len(given)) if i not in set(disagreements)]
    rows = order[:SHOWN] if only else order[:SHOWN * 2]
    for i in rows:
        mine, theirs = str(given.iloc[i][LABEL_COLUMN]), str(sift.iloc[i])
        text, button = st.columns([5, 2])
        text.markdown(f"`{i}` {given.iloc[i]['source']}: {given.iloc[i]['log_message']}  \n"
                      f"yours **{mine}**, sift **{theirs}**")
        if mine != theirs and button.button(f"Teach: {mine}", key=f"logs_teach_{i}"):
            teach(given, sift, i, mine, theirs, model)
    if len(disagreements) > SHOWN:
        st.caption(f"First {SHOWN} of {len(disagreements):,} disagreements.")


def teach(given: pd.DataFrame, sift: pd.Series, i: int, label: str, predicted: str,
          model: str) -> None:
    """One correction; then how many other rows changed with it, and a retrain offer."""
    row = given.iloc[i]
    try:
        answer = client().send_feedback({
            "model": model, "verdict": "correct", "correct_label": label, "predicted": predicted,
            "input": {"source": str(row["source"]), "log_message": str(row["log_message"])}})
        held = bool(answer.get("held_for_approval"))
        after = None if held else _relabel(given)
    except ApiError as exc:
        show_error(exc)
        return
    changed = None
    if after is not None:
        before = sift.astype(str).tolist()
        changed = sum(1 for j, (b, a) in enumerate(zip(before, after, strict=True))
                      if j != i and b != a)
    st.session_state["logs_changed"] = (i, label, changed, answer.get("note"))
    show_changed()


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
