"""Tasks page: categorise a task title and description (once the API offers it)."""

from __future__ import annotations

import streamlit as st

from frontend.api_client import TASKS_CATEGORIZE, ApiError
from frontend.components import client, show_error

st.title("Tasks")
st.caption("Suggest a category for a task from its title and description.")

try:
    available = client().has(TASKS_CATEGORIZE)
except ApiError as exc:
    show_error(exc)
    st.stop()
if not available:
    st.info(f"Task categorisation is not available on this server (no `{TASKS_CATEGORIZE}` "
            "route). Update the API to a version with the task model.", icon=":material/info:")
    st.stop()
