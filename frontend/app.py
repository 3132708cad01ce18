"""sift UI: `streamlit run frontend/app.py`. Talks to the API at SIFT_API_URL only."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` puts frontend/ first, not the project root
    sys.path.insert(0, str(ROOT))

from frontend.api_client import ApiClient, ApiError  # noqa: E402

st.set_page_config(page_title="sift", page_icon=":material/filter_alt:", layout="wide")

pages = [
    st.Page("views/logs.py", title="Logs", icon=":material/receipt_long:", default=True),
    st.Page("views/sessions.py", title="Sessions", icon=":material/timeline:"),
    st.Page("views/tasks.py", title="Tasks", icon=":material/task_alt:"),
    st.Page("views/patterns.py", title="Patterns", icon=":material/pattern:"),
    st.Page("views/models.py", title="Models", icon=":material/model_training:"),
    st.Page("views/approvals.py", title="Approvals", icon=":material/approval:"),
    st.Page("views/about.py", title="About / API", icon=":material/info:"),
]
page = st.navigation(pages)

with st.sidebar:
    api = ApiClient(timeout_s=3.0)
    try:
        state = "ready" if api.ready().get("ready") else "loading models"
    except ApiError:
        state = "not reachable"
    st.caption(f"API `{api.base_url}`: {state}")

page.run()
