"""Sessions page: step tagging of task-mining event sessions (once the API offers it)."""

from __future__ import annotations

import streamlit as st

from frontend.api_client import SESSIONS_PREDICT, ApiError
from frontend.components import client, show_error

st.title("Sessions")
st.caption("Tag each event of a task-mining session with its process step.")

try:
    available = client().has(SESSIONS_PREDICT)
except ApiError as exc:
    show_error(exc)
    st.stop()
if not available:
    st.info(f"Step tagging is not available on this server (no `{SESSIONS_PREDICT}` route). "
            "Update the API to a version with the sessions model.", icon=":material/info:")
    st.stop()
