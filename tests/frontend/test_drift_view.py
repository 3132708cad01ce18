"""The Models page's drift chart, against the real API after a stream of logs."""

from __future__ import annotations

import httpx
from streamlit.testing.v1 import AppTest

from backend.core.config import PROJECT_ROOT
from tests.utils.data import loghub_structured

VIEW = str(PROJECT_ROOT / "frontend" / "views" / "models.py")


def test_models_page_charts_drift_per_source(live_api: str) -> None:
    hdfs = loghub_structured("HDFS")["Content"].head(200)
    r = httpx.post(f"{live_api}/v1/logs/classify", timeout=120, json={"logs": [
        {"source": "BillingSystem", "log_message": m} for m in hdfs]})
    assert r.status_code == 200
    at = AppTest.from_file(VIEW, default_timeout=120).run()
    assert not at.exception
    assert "Drift of the live log stream" in [s.value for s in at.subheader]
    table = next(df.value for df in at.dataframe if "label_psi" in df.value.columns)
    row = table.set_index("source").loc["BillingSystem"]
    assert row["records"] >= 200
    # a source's first lines are its own baseline (BASELINE_RECORDS): no alarm while learnt
    assert row["baseline"] == "learning" and not row["drifting"]
    assert any("against its own baseline" in c.value and "no source drifts" in c.value
               for c in at.caption)
