"""`python -m training publish / list-versions / pull` against the local Hub double."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.core.config import get_settings
from backend.registry.local import LocalModelStore
from tests.registry.conftest import HUB_TOKEN, NAMESPACE
from tests.registry.hub_double import HubDouble
from tests.utils.factories import LOG_MODEL
from training.cli import app

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, hub: HubDouble, tmp_path: Path) -> Iterator[Path]:
    """Point the CLI's settings (environment, no .env) at a tmp registry and the double."""
    monkeypatch.chdir(tmp_path)
    for key, value in {"HF_NAMESPACE": NAMESPACE, "HF_TOKEN": HUB_TOKEN,
                       "HF_ENDPOINT": hub.url, "HF_CACHE_DIR": str(tmp_path / "cache"),
                       "MODELS_ROOT": str(tmp_path / "models")}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield tmp_path / "models"
    get_settings.cache_clear()


def test_publish_list_and_pull_round_trip(cli_env: Path, source_store: LocalModelStore,
                                          hub: HubDouble, monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    monkeypatch.setenv("MODELS_ROOT", str(source_store.root))
    get_settings.cache_clear()
    for version in ("v1", "v2"):
        result = runner.invoke(app, ["publish", "--model", LOG_MODEL, "--version", version])
        assert result.exit_code == 0, result.output
        assert f"published {LOG_MODEL} {version} -> {hub.url}/{NAMESPACE}/sift-{LOG_MODEL}" \
            in result.output
    listed = runner.invoke(app, ["list-versions", "--model", LOG_MODEL])
    assert listed.exit_code == 0, listed.output
    assert "local v1" in listed.output and "local v2" in listed.output
    assert "reachable; versions: v1, v2" in listed.output

    monkeypatch.setenv("MODELS_ROOT", str(cli_env))
    get_settings.cache_clear()
    pulled = runner.invoke(app, ["pull", "--model", LOG_MODEL, "--version", "v2"])
    assert pulled.exit_code == 0, pulled.output
    assert "pulled log-classifier v2" in pulled.output and "files verified" in pulled.output
    assert LocalModelStore(cli_env).versions(LOG_MODEL) == ["v2"]


def test_pull_of_a_missing_tag_fails_with_a_clear_message(cli_env: Path,
                                                          hub: HubDouble) -> None:
    result = runner.invoke(app, ["pull", "--version", "v2"])
    assert result.exit_code == 1
    assert "not on the Hub" in result.output


def test_publish_of_a_version_that_is_not_local_fails(cli_env: Path) -> None:
    result = runner.invoke(app, ["publish", "--version", "v7"])
    assert result.exit_code == 1
    assert "no versions of model 'log-classifier'" in result.output


def test_publish_without_hf_namespace_says_what_to_set(cli_env: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_NAMESPACE")
    get_settings.cache_clear()
    result = runner.invoke(app, ["publish", "--version", "v1"])
    assert result.exit_code != 0
    assert "HF_NAMESPACE" in result.output
