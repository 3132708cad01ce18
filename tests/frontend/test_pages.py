"""Every page through `AppTest`, against a real API process (happy and error paths)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from backend.core.config import PROJECT_ROOT

FRONTEND = PROJECT_ROOT / "frontend"
APP = str(FRONTEND / "app.py")
TIMEOUT = 120


def page(path: str) -> AppTest:
    at = AppTest.from_file(str(FRONTEND / "views" / path), default_timeout=TIMEOUT)
    return at.run()


def texts(elements: object) -> str:
    return " | ".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


def test_app_navigates_every_page(live_api: str) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value == "Logs"
    assert f"API `{live_api}`: ready" in texts(at.sidebar.caption)
    for view, title in [("models.py", "Models"), ("about.py", "About / API"),
                        ("sessions.py", "Sessions"), ("tasks.py", "Tasks"),
                        ("patterns.py", "Patterns")]:
        at.switch_page(f"views/{view}").run()
        assert not at.exception, view
        assert at.title[0].value == title


def test_app_sidebar_says_when_api_is_down(dead_api: str) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "not reachable" in texts(at.sidebar.caption)


def test_models_page_shows_active_version(live_api: str) -> None:
    at = page("models.py")
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Status"] == "serving"
    assert metrics["Active version"].startswith("v")
    subheaders = [s.value for s in at.subheader]
    assert "log-classifier" in subheaders  # every served model has its own section
    tables = [df.value for df in at.dataframe if "version" in df.value.columns]
    assert all(t["active"].any() for t in tables)
    log_versions = next(t for t in tables if "accuracy" in t.columns)  # the log classifier's
    assert {"v1", "v2"} <= set(log_versions["version"])


def test_models_page_api_down(dead_api: str) -> None:
    at = page("models.py")
    assert not at.exception
    assert "is not reachable" in at.error[0].value and dead_api in at.error[0].value


def test_about_page_links_swagger(live_api: str) -> None:
    at = page("about.py")
    assert not at.exception and not at.error
    assert f"({live_api}/docs)" in texts(at.markdown)
    assert "ready" in at.success[0].value
    assert "/v1/logs/classify" in at.code[0].value


def test_about_page_api_down(dead_api: str) -> None:
    at = page("about.py")
    assert not at.exception
    assert "is not reachable" in at.error[0].value
