"""About / API page: where the API is, whether it is ready, how to call it."""

from __future__ import annotations

import streamlit as st

from frontend.api_client import ApiError
from frontend.components import client, show_error

CURL = """curl -s {url}/v1/logs/classify -H 'Content-Type: application/json' \\
  -d '{{"logs": [{{"source": "ModernCRM", "log_message": "User User123 logged in."}}]}}'

curl -s {url}/v1/logs/classify/csv -F file=@logs.csv -o classified.csv"""

api = client()
st.title("About / API")
st.markdown(
    "**sift** labels operational data: log lines (rules -> embeddings + logistic regression "
    "-> LLM), task-mining event sessions and task titles. Every answer has a confidence and the "
    "tier or model version that produced it; below the threshold it abstains as "
    "`Unclassified` with a reason, so coverage is always visible.")
st.subheader("API")
st.markdown(f"Base URL: `{api.base_url}` - interactive docs: [Swagger UI]({api.docs_url}) "
            f"- [ReDoc]({api.base_url}/redoc)")
try:
    ready = api.ready()
    paths = sorted(api.paths())
except ApiError as exc:
    show_error(exc)
    st.stop()
if ready.get("ready"):
    st.success("The API is ready.", icon=":material/check_circle:")
else:
    st.warning("The API answers but is not ready yet (a model is loading or missing).")
st.json(ready, expanded=False)
st.markdown("**Endpoints on this server**")
st.code("\n".join(paths), language="text")
st.markdown("**Try it from a shell**")
st.code(CURL.format(url=api.base_url), language="bash")
