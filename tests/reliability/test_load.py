"""Bounded load on loopback: 200 clients for 60 s with no error, and a short soak with
flat memory. Figures go to test-artifacts/ (the full 10-minute soak: bench/soak.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from backend.core.config import PROJECT_ROOT
from bench.load_test import run_load
from bench.soak import run_soak

ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def _save(name: str, figures: dict[str, object]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(figures, indent=1))


@pytest.mark.slow
def test_200_clients_for_60s_without_errors(live_api: str) -> None:
    figures = asyncio.run(run_load(live_api, clients=200, duration_s=60))
    _save("load-200x60s", figures)
    assert figures["errors"] == 0, figures["error_kinds"]
    assert figures["requests"] >= 200  # every client got at least one answer
    assert isinstance(figures["p99_ms"], float) and figures["p99_ms"] < 60_000


def test_load_generator_refuses_remote_targets() -> None:
    with pytest.raises(ValueError, match="loopback"):
        asyncio.run(run_load("http://example.com", clients=1, duration_s=1))


@pytest.mark.slow
def test_short_soak_memory_plateaus(default_model_dir: Path) -> None:
    figures = run_soak(duration_s=30, clients=10, interval_s=2, warmup_s=12)
    _save("soak-30s", figures)
    assert figures["errors"] == 0, figures["error_kinds"]
    assert figures["rss_growth_after_warmup_mb"] < 50, figures["rss_samples"]
